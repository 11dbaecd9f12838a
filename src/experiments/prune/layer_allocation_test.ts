import assert from "node:assert/strict";
import {
  activationAllocation,
  outlierRatio,
  owlAllocation,
  uniformAllocation,
  wandaOutlierRatio,
} from "./layer_allocation.ts";
import { wandaScores } from "./wanda_mask.ts";
import { assertThrowsMsg } from "../../../test/fixtures/assert.ts";
import { REPO_C4_COUNTS } from "../../../test/fixtures/paper_c4_counts.ts";
import { mulberry32 } from "../../../test/fixtures/random.ts";

/** |actual − expected| <= tol (tolerances are stated at each call). */
function assertClose(actual: number, expected: number, tol: number, msg = ""): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${msg} ${actual} vs ${expected} (tol ${tol})`);
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

Deno.test("uniformAllocation repeats S", () => {
  assert.deepEqual(uniformAllocation(3, 0.5), [0.5, 0.5, 0.5]);
  assertThrowsMsg(() => uniformAllocation(0, 0.5), "positive integer");
  assertThrowsMsg(() => uniformAllocation(4, 1), "[0, 1)");
});

Deno.test("activationAllocation: two layers by hand", () => {
  // counts [10, 30]: mean 20, population std 10 → z = −1, +1; N' = sigmoid(1), sigmoid(3)
  // = 0.7310585786300049, 0.9525741268224334; L·N'_0/ΣN' = 2·0.73105858/1.68363271 = 0.86843000;
  // S_0 = 0.5 + 0.2·0.5·(1 − 0.86843000) = 0.51315700, S_1 = 0.5 + 0.1·(1 − 1.13157000) = 0.48684300.
  const s = activationAllocation([10, 30], { sparsity: 0.5 });
  // Tolerance: the hand values above carry 8 decimals.
  assertClose(s[0], 0.513157, 1e-8);
  assertClose(s[1], 0.486843, 1e-8);
  // The layer with more activated parameters is pruned less.
  assert.ok(s[1] < s[0]);
});

// Computed independently with numpy (python3 here):
//   z = (N - N.mean()) / N.std(); n = 1 / (1 + np.exp(-(z + 2))); S_i = 0.5 + 0.2*0.5*(1 - 32*n/n.sum())
const EXPECTED_32_POPULATION = [
  0.5596920306580152,
  0.5347455065763324,
  0.5013742604586577,
  0.4919405456899195,
  0.4887632181456618,
  0.48801409852962835,
  0.4885308818466048,
  0.4875921072438404,
  0.4874125866529976,
  0.48713071096309785,
  0.4868495340649127,
  0.4885018832555479,
  0.4891992219876205,
  0.4883178112279071,
  0.48829261340142777,
  0.48753285176749706,
  0.4865666522731568,
  0.4875573924375027,
  0.4888388167984813,
  0.4895257019780609,
  0.4889799886740597,
  0.49253688385738403,
  0.4956804992770006,
  0.4997693806270805,
  0.503500887194874,
  0.5078468174171097,
  0.5100815598565441,
  0.5155573110671405,
  0.5172866838291963,
  0.5255917615103424,
  0.5240838961671631,
  0.5227059045652349,
];

Deno.test("activationAllocation: 32-layer counts match numpy", () => {
  const s = activationAllocation(REPO_C4_COUNTS, { sparsity: 0.5 });
  assert.deepEqual(s.length, 32);
  // Tolerance 1e-15: same formula in float64, only the summation order of mean/std/ΣN' differs (numpy
  // sums pairwise), which moves results by a few ulps of 0.5 (1.1e-16 each).
  for (let i = 0; i < 32; i++) assertClose(s[i], EXPECTED_32_POPULATION[i], 1e-15, `layer ${i}`);
  // Same with ddof = 1 (numpy N.std(ddof=1)), first and last layers.
  const sample = activationAllocation(REPO_C4_COUNTS, { sparsity: 0.5, std: "sample" });
  assertClose(sample[0], 0.558619335334008, 1e-15);
  assertClose(sample[31], 0.5222215150590452, 1e-15);
});

Deno.test("activationAllocation: mean equals S", () => {
  const rand = mulberry32(7);
  for (let trial = 0; trial < 200; trial++) {
    const L = 2 + Math.floor(rand() * 80);
    const counts = Array.from({ length: L }, () => Math.floor(rand() * 5e7));
    const S = 0.1 + 0.7 * rand();
    const s = activationAllocation(counts, { sparsity: S, alpha: 4 * rand() - 1, beta: 0.3 * rand() });
    // Algebraically exact; in float64 each S_i carries ≤ 1 ulp of rounding, so the mean is S within
    // a few ulps of S (≤ 1.1e-16 each for S < 1).
    assertClose(mean(s), S, 1e-15, `trial ${trial}`);
  }
  assert.deepEqual(mean(activationAllocation(REPO_C4_COUNTS, { sparsity: 0.5 })), 0.5);
});

Deno.test("activationAllocation: degenerate and invalid inputs", () => {
  assert.deepEqual(activationAllocation([5, 5, 5], { sparsity: 0.6 }), [0.6, 0.6, 0.6]);
  assertThrowsMsg(() => activationAllocation([5], { sparsity: 0.5 }), "at least 2 layers");
  assertThrowsMsg(() => activationAllocation([5, -1], { sparsity: 0.5 }), "layer 1");
  assertThrowsMsg(() => activationAllocation([5, NaN], { sparsity: 0.5 }), "layer 1");
  // S(1 + β) > 1 is possible for a sparse layer: refused with the layer named.
  assertThrowsMsg(() => activationAllocation([1, 100, 100, 100], { sparsity: 0.95, beta: 0.5 }), "layer 0");
});

Deno.test("owlAllocation: by hand and against numpy", () => {
  // r = [3.2, 5.0, 4.1, 7.9, 6.0, 2.5], λ = 0.08, S = 0.7: x_i = (r_i − 2.5)·0.16/5.4
  // = [0.0207407, 0.0740741, 0.0474074, 0.16, 0.1037037, 0], mean 0.0676543;
  // sparsity_i = 1 − (x_i − mean + 0.3) = [0.746914, 0.693580, 0.720247, 0.607654, 0.663951, 0.767654].
  const r = [3.2, 5.0, 4.1, 7.9, 6.0, 2.5];
  const s = owlAllocation(r, { sparsity: 0.7 });
  const numpy = [
    0.7469135802469136,
    0.6935802469135802,
    0.720246913580247,
    0.6076543209876543,
    0.6639506172839506,
    0.7676543209876543,
  ];
  // Tolerance 1e-15: OWL's numpy expression evaluated in the same order; only np.mean's summation differs.
  for (let i = 0; i < r.length; i++) assertClose(s[i], numpy[i], 1e-15);
  assertClose(s[0], 0.746914, 1e-6);
  assertClose(mean(s), 0.7, 1e-15);
  // Max − min spans exactly 2λ; more outliers → lower sparsity.
  assertClose(Math.max(...s) - Math.min(...s), 0.16, 1e-15);
  assert.ok(s[3] < s[1] && s[1] < s[0]);
  // Scale of r cancels (OWL uses percent).
  const pct = owlAllocation(r.map((v) => v * 100), { sparsity: 0.7 });
  for (let i = 0; i < r.length; i++) assertClose(pct[i], s[i], 1e-15);
});

Deno.test("owlAllocation: OWL clamps non-positive sparsity to 0.01", () => {
  // numpy, same code: S = 0.05, λ = 0.2.
  const s = owlAllocation([3.2, 5.0, 4.1, 7.9, 6.0, 2.5], { sparsity: 0.05, lambda: 0.2 });
  const numpy = [
    0.16728395061728396,
    0.03395061728395066,
    0.10061728395061742,
    0.01,
    0.01,
    0.2191358024691359,
  ];
  for (let i = 0; i < s.length; i++) assertClose(s[i], numpy[i], 1e-15);
  assert.deepEqual(owlAllocation([2, 2, 2], { sparsity: 0.5 }), [0.5, 0.5, 0.5]);
  assertThrowsMsg(() => owlAllocation([1, NaN], { sparsity: 0.5 }), "layer 1");
});

Deno.test("outlierRatio counts scores strictly above M × mean", () => {
  // mean 2, M = 5 → threshold 10: only 11 exceeds it.
  assert.deepEqual(outlierRatio(new Float32Array([1, 1, 1, 1, 1, 1, 1, 1, 1, 11]), 5), 0.1);
  // mean 1.25, M = 4 → threshold 5; 5 is not strictly above.
  assert.deepEqual(outlierRatio(new Float32Array([0, 0, 0, 5]), 4), 0);
  // Concatenation of several arrays = one array.
  const rand = mulberry32(3);
  const a = Float32Array.from({ length: 1000 }, () => rand() ** 8);
  const b = Float32Array.from({ length: 333 }, () => rand() ** 3);
  const ab = new Float32Array(1333);
  ab.set(a);
  ab.set(b, 1000);
  assert.deepEqual(outlierRatio([a, b]), outlierRatio(ab));
  assert.ok(outlierRatio(ab) > 0);
  assertThrowsMsg(() => outlierRatio([]), "no scores");
});

Deno.test("wandaOutlierRatio equals outlierRatio of the materialised scores", () => {
  const rand = mulberry32(11);
  const linears = [[6, 10], [10, 6], [4, 4]].map(([rows, cols]) => ({
    rows,
    cols,
    weight: Float32Array.from({ length: rows * cols }, () => (rand() - 0.5) * (rand() < 0.05 ? 50 : 1)),
    scalerRow: Float32Array.from({ length: cols }, () => rand() * 3),
  }));
  const scores = linears.map((l) => wandaScores(l.weight, l.scalerRow, l));
  for (const M of [1, 2, 5]) assert.deepEqual(wandaOutlierRatio(linears, M), outlierRatio(scores, M));
});
