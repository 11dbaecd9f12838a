import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
import { STORIES260K_CONFIG } from "../test/reference/stories260k.ts";
import { benchWindows } from "./windows.ts";

Deno.test("windows are seeded, start with BOS, stay in the body vocabulary and extend as prefixes", () => {
  const a = benchWindows(STORIES260K_CONFIG, 5, 33, 7);
  assertEquals(a, benchWindows(STORIES260K_CONFIG, 5, 33, 7));
  assertEquals(a.slice(0, 2), benchWindows(STORIES260K_CONFIG, 2, 33, 7));
  assert(JSON.stringify(a) !== JSON.stringify(benchWindows(STORIES260K_CONFIG, 5, 33, 8)));
  for (const w of a) {
    assertEquals(w.length, 33);
    assertEquals(w[0], 1);
    assert(w.slice(1).every((id) => Number.isInteger(id) && id >= 3 && id < 512));
  }
  // Uniform draws: every id of a small vocabulary shows up over enough tokens.
  const seen = new Set(benchWindows(STORIES260K_CONFIG, 64, 256, 0).flatMap((w) => w.slice(1)));
  assertEquals(seen.size, 509);
  const noBos = benchWindows({ ...STORIES260K_CONFIG, bosTokenId: null }, 1, 4, 0)[0];
  assert(noBos[0] >= 3);
});
