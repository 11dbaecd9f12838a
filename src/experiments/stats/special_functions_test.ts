import assert from "node:assert/strict";
import { logGamma, regularizedIncompleteBeta, studentTTwoSidedP } from "./special_functions.ts";
import { assertThrowsMsg } from "../../../test/fixtures/assert.ts";

/** |actual − expected| <= rel·|expected| + abs. */
function assertClose(actual: number, expected: number, rel: number, abs = 0, msg = ""): void {
  const tol = rel * Math.abs(expected) + abs;
  assert.ok(Math.abs(actual - expected) <= tol, `${msg} ${actual} vs ${expected} (tol ${tol})`);
}

Deno.test("logGamma: exact values and scipy.special.gammaln", () => {
  // Γ(1) = Γ(2) = 1, Γ(5) = 24, Γ(1/2) = √π. Lanczos g=7 is good to ~1e-15: tolerance 1e-14 absolute.
  assertClose(logGamma(1), 0, 0, 1e-14);
  assertClose(logGamma(2), 0, 0, 1e-14);
  assertClose(logGamma(5), Math.log(24), 0, 1e-14);
  assertClose(logGamma(0.5), 0.5 * Math.log(Math.PI), 0, 1e-14);
  // scipy.special.gammaln; relative 1e-14 (plus 1e-14 absolute near the zeros of ln Γ).
  const scipy: Array<[number, number]> = [
    [1.5, -0.12078223763524526],
    [2.5, 0.2846828704729192],
    [10, 12.801827480081469],
    [100.25, 360.28455963776423],
    [1000.5, 5908.674175848678],
    [1e-5, 11.512919692895826],
    [171.3, 708.1149470389971],
  ];
  for (const [x, v] of scipy) assertClose(logGamma(x), v, 1e-14, 1e-14, `gammaln(${x})`);
  assertThrowsMsg(() => logGamma(0), "x must be finite and > 0");
});

Deno.test("regularizedIncompleteBeta: closed forms and scipy.special.betainc", () => {
  // I_x(1, 1) = x; I_x(a, 1) = x^a; I_x(1/2, 1/2) = (2/π) asin(√x).
  assertClose(regularizedIncompleteBeta(0.37, 1, 1), 0.37, 1e-14);
  assertClose(regularizedIncompleteBeta(0.6, 3, 1), 0.216, 1e-14);
  assertClose(regularizedIncompleteBeta(0.3, 0.5, 0.5), (2 / Math.PI) * Math.asin(Math.sqrt(0.3)), 1e-14);
  // I_x(3, 4) = Σ_{j=3}^{6} C(6, j) x^j (1−x)^{6−j}; at x = 1/4: (540 + 135 + 18 + 1)/4096 = 694/4096.
  assertClose(regularizedIncompleteBeta(0.25, 3, 4), 694 / 4096, 1e-14);
  const scipy: Array<[number, number, number, number]> = [
    [0.5, 0.5, 0.3, 0.36901011956554536],
    [2, 0.5, 0.9, 0.5414697392755851],
    [10, 0.5, 0.1, 1.8480273740563758e-11],
    [1.5, 0.5, 0.999, 0.9597433418849682],
    [750, 0.5, 0.99, 0.00010357016453092598],
    [0.1, 10, 0.01, 0.8244896709066988],
    [200, 300, 0.4, 0.5024286163199315],
  ];
  // Relative 5e-12: the prefactor exp(lnΓ(a+b) − lnΓ(a) − lnΓ(b) + …) inherits the absolute error of the
  // lnΓ values, ~1e-16·lnΓ(a) (lnΓ(750) ≈ 4213 → ~8e-13 measured at a = 750); small a, b are at ~1e-15.
  for (const [a, b, x, v] of scipy) {
    assertClose(regularizedIncompleteBeta(x, a, b), v, 5e-12, 0, `I(${x};${a},${b})`);
  }
  assert.equal(regularizedIncompleteBeta(0, 2, 3), 0);
  assert.equal(regularizedIncompleteBeta(1, 2, 3), 1);
  assertThrowsMsg(() => regularizedIncompleteBeta(1.5, 2, 3), "x in [0, 1]");
});

Deno.test("studentTTwoSidedP: closed forms and scipy 2·t.sf(|t|, df)", () => {
  // df = 1 is Cauchy: p = 1 − (2/π) atan|t|. df = 2: p = 1 − |t|/sqrt(2 + t²).
  assertClose(studentTTwoSidedP(0.5, 1), 1 - (2 / Math.PI) * Math.atan(0.5), 1e-14);
  assertClose(studentTTwoSidedP(3, 2), 1 - 3 / Math.sqrt(11), 1e-13);
  const scipy: Array<[number, number, number]> = [
    [2.0, 3, 0.13932596855884305],
    [-2.0, 3, 0.13932596855884305],
    [1.0, 10, 0.34089313230206],
    [3.5, 100, 0.0006964277173562688],
    [10, 5, 0.00017094757574296363],
    [2.2, 1498, 0.02795913144945933],
  ];
  // Same error budget as the incomplete beta (df = 1498 → a = 749: ~8e-13 measured).
  for (const [t, df, v] of scipy) assertClose(studentTTwoSidedP(t, df), v, 5e-12, 0, `t=${t} df=${df}`);
  assert.equal(studentTTwoSidedP(0, 8), 1);
  assert.equal(studentTTwoSidedP(Infinity, 8), 0);
  assertThrowsMsg(() => studentTTwoSidedP(1, 0), "df > 0");
});
