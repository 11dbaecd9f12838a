import assert from "node:assert/strict";
import { boxplotStats, mean, meanStderr, median, quantile, quartiles, std } from "./summary.ts";
import { assertThrowsMsg } from "../../../test/fixtures/assert.ts";

function assertClose(actual: number, expected: number, tol: number, msg = ""): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${msg} ${actual} vs ${expected} (tol ${tol})`);
}

const X = new Float64Array([3.1, -2.0, 7.5, 0.25, 4.0, 4.0, 12.0, -30.0, 5.5]);

Deno.test("mean and std match numpy", () => {
  // numpy: x.mean(), x.std(), x.std(ddof=1), x.std(ddof=1)/sqrt(9). Tolerance 1e-14: float64 sums of
  // nine values in a different order differ by a few ulps of ~12.
  assertClose(mean(X), 0.4833333333333333, 1e-15);
  assertClose(std(X, 0), 11.421568290835642, 1e-14);
  assertClose(std(X), 12.114402585352693, 1e-14);
  assertClose(meanStderr(X), 4.038134195117564, 1e-14);
  // By hand: [1, 3] → mean 2, deviations ±1, Σ = 2; ddof 1 → sqrt(2), ddof 0 → 1.
  assert.equal(std([1, 3], 0), 1);
  assert.equal(std([1, 3]), Math.SQRT2);
  assert.ok(Number.isNaN(std([5])));
  assert.ok(Number.isNaN(meanStderr([5])));
  assert.ok(Number.isNaN(mean([])));
});

Deno.test("median and quantiles are numpy's linear (type 7)", () => {
  assert.equal(median(X), 4.0);
  assert.deepEqual(quartiles(X), { q1: 0.25, median: 4.0, q3: 5.5 });
  // numpy: np.quantile(x, [0.1, 0.9]) = [-7.599999999999999, 8.4]; 1e-14 for interpolation rounding.
  assertClose(quantile(X, 0.1), -7.6, 1e-14);
  assertClose(quantile(X, 0.9), 8.4, 1e-14);
  // By hand, [1, 2, 3, 4]: h = 3p → 0.75 → 1.75; 1.5 → 2.5; 2.25 → 3.25.
  assert.deepEqual(quartiles([4, 1, 3, 2]), { q1: 1.75, median: 2.5, q3: 3.25 });
  assert.equal(quantile([7], 0.3), 7);
  assertThrowsMsg(() => quantile(X, 1.5), "p must be in [0, 1]");
});

Deno.test("boxplotStats: whiskers and outliers by hand", () => {
  // sorted: −30, −2, 0.25, 3.1, 4, 4, 5.5, 7.5, 12; q1 0.25, q3 5.5, IQR 5.25, limits −7.625 and 13.375:
  // low whisker −2 (lowest datum ≥ −7.625), high whisker 12, outlier −30.
  const b = boxplotStats(X);
  assert.equal(b.n, 9);
  assert.equal(b.q1, 0.25);
  assert.equal(b.q3, 5.5);
  assert.equal(b.whiskerLow, -2);
  assert.equal(b.whiskerHigh, 12);
  assert.deepEqual(b.outliers, [-30]);
  assertClose(b.mean, 0.4833333333333333, 1e-15);
  // A constant sample: all whiskers collapse on the box, no outliers.
  const c = boxplotStats([2, 2, 2]);
  assert.deepEqual([c.q1, c.median, c.q3, c.whiskerLow, c.whiskerHigh, c.outliers.length], [
    2,
    2,
    2,
    2,
    2,
    0,
  ]);
});

Deno.test("NaN input is refused with its index", () => {
  assertThrowsMsg(() => mean([1, NaN]), "index 1 is NaN");
  assertThrowsMsg(() => quartiles([NaN]), "index 0 is NaN");
});
