/**
 * Spearman rank correlation (issue 6), as scipy.stats.spearmanr: Pearson correlation of the average ranks
 * (ties share the mean of the ranks they span), two-sided p-value from Student's t with n − 2 degrees of
 * freedom, t = r·sqrt((n − 2)/(1 − r²)).
 */

import { ActpatError } from "../../util/errors.ts";
import { studentTTwoSidedP } from "./special_functions.ts";

/** Result of `spearman`; `reason` explains a NaN rho or p-value. */
export interface SpearmanResult {
  rho: number;
  pValue: number;
  n: number;
  reason?: string;
}

/** 1-based ranks with ties averaged (scipy.stats.rankdata(method="average")). */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const ranks = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i + 1;
    while (j < n && values[order[j]] === values[order[i]]) j++;
    // Positions i..j−1 (0-based) hold equal values: ranks i+1..j, mean (i + 1 + j) / 2.
    const r = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) ranks[order[k]] = r;
    i = j;
  }
  return ranks;
}

/** Pearson correlation of two equal-length float64 arrays; NaN when either is constant. */
function pearson(x: Float64Array, y: Float64Array): number {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  const r = sxy / Math.sqrt(sxx * syy);
  // Rounding can push |r| a hair past 1 for perfectly monotone data.
  return Math.max(-1, Math.min(1, r));
}

/**
 * Spearman's rho of paired samples `x`, `y` and its two-sided p-value.
 * NaN (with `reason`) for fewer than 3 pairs or a constant sample; a NaN input value throws.
 * @example spearman([1, 2, 3, 4], [1, 3, 2, 4]) // { rho: 0.8, pValue: 0.2, n: 4 }
 */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): SpearmanResult {
  const n = x.length;
  if (y.length !== n) {
    throw new ActpatError("compute Spearman correlation", `x has ${n} values, y has ${y.length}`);
  }
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(x[i]) || Number.isNaN(y[i])) {
      throw new ActpatError("compute Spearman correlation", `pair ${i} contains NaN`);
    }
  }
  if (n < 3) {
    return {
      rho: NaN,
      pValue: NaN,
      n,
      reason: `needs at least 3 pairs for n − 2 > 0 degrees of freedom, got ${n}`,
    };
  }
  const rx = averageRanks(x);
  const ry = averageRanks(y);
  const constant = [rx, ry].map((r) => r.every((v) => v === r[0]));
  if (constant[0] || constant[1]) {
    const which = constant[0] && constant[1] ? "x and y are" : constant[0] ? "x is" : "y is";
    return { rho: NaN, pValue: NaN, n, reason: `${which} constant, so the rank correlation is undefined` };
  }
  const rho = pearson(rx, ry);
  const df = n - 2;
  if (Math.abs(rho) === 1) return { rho, pValue: 0, n };
  const t = rho * Math.sqrt(df / ((1 + rho) * (1 - rho)));
  return { rho, pValue: studentTTwoSidedP(t, df), n };
}
