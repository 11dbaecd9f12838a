import assert from "node:assert/strict";
import { defaultRelevanceLayers, relevancePairs, relevanceRows } from "./relevance.ts";
import type { PairSimilarities } from "./run.ts";

Deno.test("default relevance layers are the paper's range(L // 2, L - 2), else the last half", () => {
  assert.deepEqual(defaultRelevanceLayers(32), Array.from({ length: 14 }, (_, i) => 16 + i));
  assert.deepEqual(defaultRelevanceLayers(40), Array.from({ length: 18 }, (_, i) => 20 + i));
  assert.deepEqual(defaultRelevanceLayers(5), [2]);
  assert.deepEqual(defaultRelevanceLayers(4), [2, 3]);
  assert.deepEqual(defaultRelevanceLayers(1), [0]);
});

Deno.test("relevancePairs lists every unordered pair with the diagonal; duplicates are refused", () => {
  assert.deepEqual(relevancePairs(["a", "b", "c"]), [["a", "a"], ["a", "b"], ["a", "c"], ["b", "b"], [
    "b",
    "c",
  ], ["c", "c"]]);
  assert.throws(() => relevancePairs(["a", "b", "a"]), /listed twice/);
});

Deno.test("relevanceRows pools pairs × layers in the range and writes the matrix in both orders", () => {
  const r = (a: string, b: string, values: number[][]): PairSimilarities => ({
    datasetA: a,
    datasetB: b,
    idsA: values.map((_, i) => `${i}`),
    idsB: values.map((_, i) => `${i}`),
    layers: [0, 1, 2, 3],
    values: values.map((v) => Float64Array.from(v)),
  });
  const rows = relevanceRows([
    r("a", "a", [[9, 0.2, 0.4, 9], [9, 0.6, 0.8, 9]]),
    r("a", "b", [[9, 0.1, 0.3, 9]]),
  ], [1, 2]);
  assert.equal(rows.length, 3);
  assert.deepEqual(rows.map((x) => [x.dataset_a, x.dataset_b, x.layers, x.n]), [["a", "a", "1-2", 4], [
    "a",
    "b",
    "1-2",
    2,
  ], [
    "b",
    "a",
    "1-2",
    2,
  ]]);
  assert(Math.abs((rows[0].mean_similarity as number) - 0.5) < 1e-15);
  assert(Math.abs((rows[0].std as number) - Math.sqrt(0.2 / 3)) < 1e-15);
  assert.equal(rows[1].mean_similarity, rows[2].mean_similarity);
  assert.throws(() => relevanceRows([r("a", "a", [[1, 1, 1, 1]])], [7]), /layer 7 was not scored/);
});
