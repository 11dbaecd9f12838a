import assert from "node:assert/strict";
import { averageRanks, spearman } from "./spearman.ts";
import { assertThrowsMsg } from "../../../test/fixtures/assert.ts";

function assertClose(actual: number, expected: number, rel: number, abs = 0, msg = ""): void {
  const tol = rel * Math.abs(expected) + abs;
  assert.ok(Math.abs(actual - expected) <= tol, `${msg} ${actual} vs ${expected} (tol ${tol})`);
}

// Tolerances: rho is a ratio of float64 sums of ranks, exact to a few ulps (1e-14 absolute); p-values go
// through lnΓ and a continued fraction: ~1e-15 relative for small n, ~1e-12 for n in the thousands (lnΓ of
// n/2 carries ~1e-16·lnΓ absolute error), so 1e-12 relative for small n and 1e-10 for the large cases.

Deno.test("averageRanks averages ties (scipy.stats.rankdata)", () => {
  assert.deepEqual([...averageRanks([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5])], [
    4.5,
    1.5,
    6,
    1.5,
    8,
    11,
    3,
    10,
    8,
    4.5,
    8,
  ]);
  assert.deepEqual([...averageRanks([2, 2, 2])], [2, 2, 2]);
});

Deno.test("spearman by hand: n = 4", () => {
  // Ranks x = 1 2 3 4, y = 1 3 2 4; Σd² = 2 → rho = 1 − 6·2/(4·15) = 0.8.
  // t = 0.8·sqrt(2/0.36) = 1.885618; df = 2: p = 1 − |t|/sqrt(2 + t²) = 1 − 1.885618/2.357023 = 0.2.
  const r = spearman([1, 2, 3, 4], [1, 3, 2, 4]);
  assertClose(r.rho, 0.8, 0, 1e-14);
  assertClose(r.pValue, 0.2, 1e-12);
  assert.equal(r.n, 4);
  assert.equal(r.reason, undefined);
  // Invariant under monotone transforms of either variable; sign flips with one reversed.
  const s = spearman([1, 8, 27, 64], [-1, -3, -2, -4]);
  assertClose(s.rho, -0.8, 0, 1e-14);
});

Deno.test("spearman: Wikipedia's IQ vs TV hours example", () => {
  // en.wikipedia.org/wiki/Spearman%27s_rank_correlation_coefficient, "Example": ρ = −29/165 ≈ −0.175757575,
  // p = 0.627188 (t-distribution); scipy.stats.spearmanr gives p = 0.6271883447764846.
  const iq = [106, 100, 86, 101, 99, 103, 97, 113, 112, 110];
  const tv = [7, 27, 2, 50, 28, 29, 20, 12, 6, 17];
  const r = spearman(iq, tv);
  assertClose(r.rho, -29 / 165, 0, 1e-14);
  assertClose(r.pValue, 0.6271883447764846, 1e-12);
  assertClose(r.pValue, 0.627188, 0, 5e-7);
});

Deno.test("spearman with ties matches scipy.stats.spearmanr", () => {
  const cases: Array<[number[], number[], number, number]> = [
    [[1, 2, 2, 3, 4, 4, 4, 5], [2, 1, 3, 3, 5, 4, 6, 6], 0.9007775105401477, 0.0022640090646742616],
    [
      [3.5, 1.0, 2.0, 2.0, 7.25, 0.5, 9.0, 4.0, 4.0, 4.0, 6.0, 8.0],
      [10, 30, 20, 20, 40, 60, 50, 50, 70, 80, 90, 100],
      0.488502461513262,
      0.10708379331917643,
    ],
    [[1, 2, 3], [3, 1, 2], -0.5, 0.6666666666666666],
  ];
  for (const [x, y, rho, p] of cases) {
    const r = spearman(x, y);
    assertClose(r.rho, rho, 0, 1e-14);
    assertClose(r.pValue, p, 1e-12);
  }
  // 40 heavily tied integer pairs (numpy default_rng(0)); p ≈ 3e-13 checks the small-p tail.
  const x = [
    5,
    3,
    3,
    1,
    1,
    0,
    0,
    0,
    1,
    4,
    3,
    5,
    3,
    3,
    5,
    4,
    3,
    3,
    3,
    5,
    1,
    4,
    4,
    0,
    2,
    5,
    3,
    0,
    4,
    4,
    5,
    1,
    0,
    5,
    0,
    3,
    0,
    1,
    2,
    2,
  ];
  const y = [
    6,
    3,
    3,
    1,
    1,
    2,
    2,
    2,
    2,
    6,
    6,
    6,
    4,
    6,
    8,
    7,
    4,
    5,
    6,
    7,
    4,
    6,
    6,
    1,
    5,
    5,
    5,
    2,
    7,
    6,
    6,
    2,
    1,
    6,
    2,
    6,
    0,
    4,
    4,
    3,
  ];
  const r = spearman(x, y);
  assertClose(r.rho, 0.8702254178313964, 0, 1e-14);
  assertClose(r.pValue, 3.039006933044435e-13, 1e-10);
});

Deno.test("spearman on 1500 and 200 generated pairs matches scipy", () => {
  // The same integer formulas were evaluated in numpy and passed to scipy.stats.spearmanr.
  const n = 1500;
  const x = Array.from({ length: n }, (_, i) => (i * 7919) % 1009);
  const y = Array.from({ length: n }, (_, i) => ((i * 104729) % 997) + 0.1 * ((i * 7919) % 1009));
  const r = spearman(x, y);
  assertClose(r.rho, 0.09977521500199892, 0, 1e-14);
  assertClose(r.pValue, 0.00010851526900222479, 1e-10);
  const x2 = Array.from({ length: 200 }, (_, i) => (i * i) % 17);
  const y2 = Array.from({ length: 200 }, (_, i) => (3 * i * i + i) % 11);
  const r2 = spearman(x2, y2);
  assertClose(r2.rho, 0.013837543780842098, 0, 1e-14);
  assertClose(r2.pValue, 0.8458038732471231, 1e-12);
});

Deno.test("spearman edge cases: perfect, too few, constant, NaN, length mismatch", () => {
  assert.deepEqual(spearman([1, 2, 3, 4], [10, 20, 30, 40]), { rho: 1, pValue: 0, n: 4 });
  assert.deepEqual(spearman([1, 2, 3, 4], [4, 3, 2, 1]), { rho: -1, pValue: 0, n: 4 });
  const two = spearman([1, 2], [2, 1]);
  assert.ok(Number.isNaN(two.rho) && Number.isNaN(two.pValue));
  assert.match(two.reason ?? "", /needs at least 3 pairs .*, got 2/);
  const flat = spearman([1, 2, 3], [5, 5, 5]);
  assert.ok(Number.isNaN(flat.rho) && Number.isNaN(flat.pValue));
  assert.match(flat.reason ?? "", /y is constant/);
  assert.match(spearman([7, 7, 7], [7, 7, 7]).reason ?? "", /x and y are constant/);
  assertThrowsMsg(() => spearman([1, NaN, 3], [1, 2, 3]), "pair 1 contains NaN");
  assertThrowsMsg(() => spearman([1, 2, 3], [1, 2]), "x has 3 values, y has 2");
});
