import assert from "node:assert/strict";
import { paperDatasetDraw, shuffledRows } from "./paper_draws.ts";
import { PythonRandom } from "./python_random.ts";

Deno.test("shuffledRows: the loaders' shuffle-and-slice, all rows when nsample exceeds them", () => {
  const a = shuffledRows(new PythonRandom(4), 10, 100);
  assert.deepEqual([...a].sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(shuffledRows(new PythonRandom(4), 10, 3), a.slice(0, 3));
});

Deno.test("paperDatasetDraw rejects unknown names and mismatched sources", () => {
  const rng = new PythonRandom(0);
  assert.throws(
    () => paperDatasetDraw(rng, { name: "arc", nsample: 4, source: { rows: 10 } }),
    { name: "ActpatError", message: /^Cannot draw the paper's examples of "arc": get_dataset knows gsm8k, / },
  );
  assert.throws(() => paperDatasetDraw(rng, { name: "c4", nsample: 4, source: { rows: 10 } }), /docCount/);
  assert.throws(
    () => paperDatasetDraw(rng, { name: "boolq", nsample: 4, source: { tokenCount: 9 } }),
    /rows/,
  );
});
