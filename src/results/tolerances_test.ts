import assert from "node:assert/strict";
import { allowedDiff, loadTolerances, toleranceFor, type Tolerances } from "./tolerances.ts";

Deno.test("tolerances: first matching rule wins; file, column and where all have to match", () => {
  const t: Tolerances = {
    default: { abs: 1, rel: 0, why: "default" },
    rules: [
      { file: "eval.csv", column: "value", where: { metric: "ppl" }, abs: 0, rel: 0.01, why: "ppl" },
      { column: "value", abs: 2, rel: 0, why: "any value" },
    ],
  };
  assert.deepEqual(toleranceFor(t, "eval.csv", "value", { metric: "ppl" }), { abs: 0, rel: 0.01 });
  assert.deepEqual(toleranceFor(t, "stage/eval.csv", "value", { metric: "ppl" }), { abs: 0, rel: 0.01 });
  assert.deepEqual(toleranceFor(t, "eval.csv", "value", { metric: "acc" }), { abs: 2, rel: 0 });
  assert.deepEqual(toleranceFor(t, "table1.csv", "stderr", {}), { abs: 1, rel: 0 });
  // |a − b| ≤ abs + rel·|a|, relative to the reference a.
  assert.equal(allowedDiff({ abs: 0.5, rel: 0.01 }, -200), 2.5);
});

Deno.test("tolerances: the repository default validates; a bad file names the key at fault", async () => {
  const t = await loadTolerances();
  assert.deepEqual(toleranceFor(t, "density.csv", "active", {}), { abs: 2, rel: 1e-3 });
  const dir = await Deno.makeTempDir();
  const bad = `${dir}/bad.json`;
  await Deno.writeTextFile(
    bad,
    JSON.stringify({ default: { abs: 0, rel: 0, why: "x" }, rules: [{ abs: -1, rel: 0, why: "y" }] }),
  );
  await assert.rejects(loadTolerances(bad), /Cannot read tolerances: .*bad\.json: rules\.0\.abs: /);
  await Deno.writeTextFile(bad, "{");
  await assert.rejects(loadTolerances(bad), /Cannot read tolerances: .*bad\.json is not JSON/);
});
