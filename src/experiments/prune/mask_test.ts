import assert from "node:assert/strict";
import { applyMask, maskedPerRow, parsePrunePattern } from "./mask.ts";
import { assertThrowsMsg } from "../../../test/fixtures/assert.ts";

Deno.test("parsePrunePattern reads unstructured and N:M", () => {
  assert.deepEqual(parsePrunePattern("unstructured", 0.5), { kind: "unstructured", sparsity: 0.5 });
  assert.deepEqual(parsePrunePattern("2:4", 0.5), { kind: "nm", n: 2, m: 4 });
  assert.deepEqual(parsePrunePattern("4:8", 0.5), { kind: "nm", n: 4, m: 8 });
  assertThrowsMsg(() => parsePrunePattern("2-4", 0.5), 'Cannot parse --sparsity-type: "2-4"');
  assertThrowsMsg(() => parsePrunePattern("4:4", 0.5), "1 <= N < M");
  assertThrowsMsg(() => parsePrunePattern("unstructured", 1.2), "--sparsity must be in [0, 1]");
});

Deno.test("applyMask zeros masked entries; maskedPerRow counts them", () => {
  const w = new Float32Array([1, 2, 3, 4, 5, 6]);
  const mask = new Uint8Array([1, 0, 1, 0, 0, 0]);
  applyMask(w, mask);
  assert.deepEqual([...w], [0, 2, 0, 4, 5, 6]);
  assert.deepEqual([...maskedPerRow(mask, { rows: 2, cols: 3 })], [2, 0]);
  assertThrowsMsg(() => applyMask(w, new Uint8Array(5)), "5 mask entries for 6 weights");
});
