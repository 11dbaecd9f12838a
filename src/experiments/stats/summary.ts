/**
 * Summary statistics for result tables and boxplots. Inputs are Float64Array or number arrays; a NaN input
 * is an upstream bug and throws (naming its index) instead of silently poisoning a table; an empty input
 * gives NaN, as numpy does.
 */

import { ActpatError } from "../../util/errors.ts";
import { minFrom, selectKth } from "./select.ts";

type Values = Float64Array | readonly number[];

function checked(values: Values, what: string): Values {
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i])) throw new ActpatError(`summarise ${what}`, `value at index ${i} is NaN`);
  }
  return values;
}

/** Arithmetic mean (float64 accumulation); NaN when empty. */
export function mean(values: Values): number {
  checked(values, "mean");
  if (values.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s / values.length;
}

/**
 * Standard deviation with `ddof` delta degrees of freedom: sqrt(Σ(x − mean)² / (n − ddof)). The default
 * ddof = 1 (sample std) is torch's `torch.std` default, which the paper's code uses for its similarity
 * summaries, and lm-eval's `sample_stddev`; numpy's `np.std` default is ddof = 0. NaN when n <= ddof.
 */
export function std(values: Values, ddof = 1): number {
  const n = values.length;
  const m = mean(values);
  if (n - ddof <= 0) return NaN;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - m) * (values[i] - m);
  return Math.sqrt(ss / (n - ddof));
}

/** lm-evaluation-harness `mean_stderr`: sample std (ddof = 1) / sqrt(n); NaN when n < 2. */
export function meanStderr(values: Values): number {
  return std(values, 1) / Math.sqrt(values.length);
}

function sortedCopy(values: Values, what: string): Float64Array {
  return Float64Array.from(checked(values, what)).sort();
}

function quantileSorted(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * The p-quantile by linear interpolation between order statistics (Hyndman–Fan type 7): numpy's default
 * `np.quantile(method="linear")`, R's default, and what matplotlib/seaborn boxplots use.
 */
export function quantile(values: Values, p: number): number {
  return quantileInPlace(Float64Array.from(checked(values, "quantile")), p);
}

/**
 * {@link quantile} of `values` by selection instead of a sort (linear time), reordering `values`: for arrays
 * too large to copy or sort, such as the mean |activation| of every parameter of a model.
 */
export function quantileInPlace(values: Float64Array, p: number): number {
  if (!(p >= 0 && p <= 1)) throw new ActpatError("compute quantile", `p must be in [0, 1], got ${p}`);
  if (values.length === 0) return NaN;
  const h = (values.length - 1) * p;
  const lo = Math.floor(h);
  const low = selectKth(values, lo);
  if (h === lo) return low;
  return low + (h - lo) * (minFrom(values, lo + 1) - low);
}

/** Median (type-7 quantile 0.5: the mean of the two middle values for even n). */
export function median(values: Values): number {
  return quantile(values, 0.5);
}

/** First quartile, median and third quartile (type 7). */
export interface Quartiles {
  q1: number;
  median: number;
  q3: number;
}

/** Quartiles of `values` (type 7, as numpy). */
export function quartiles(values: Values): Quartiles {
  const s = sortedCopy(values, "quartiles");
  return { q1: quantileSorted(s, 0.25), median: quantileSorted(s, 0.5), q3: quantileSorted(s, 0.75) };
}

/** Everything a boxplot draws. */
export interface BoxplotStats extends Quartiles {
  n: number;
  mean: number;
  /** Lowest datum >= q1 − whis·IQR (q1 if none). */
  whiskerLow: number;
  /** Highest datum <= q3 + whis·IQR (q3 if none). */
  whiskerHigh: number;
  /** Data outside the whiskers, ascending. */
  outliers: number[];
}

/**
 * Boxplot statistics as matplotlib's `cbook.boxplot_stats` (which seaborn's boxplot, used for the paper's
 * similarity figures, calls): type-7 quartiles, whiskers at the most extreme data within whis·IQR of the
 * box, the rest outliers.
 */
export function boxplotStats(values: Values, whis = 1.5): BoxplotStats {
  const s = sortedCopy(values, "boxplot");
  const q1 = quantileSorted(s, 0.25);
  const q3 = quantileSorted(s, 0.75);
  const iqr = q3 - q1;
  const loLimit = q1 - whis * iqr;
  const hiLimit = q3 + whis * iqr;
  let whiskerLow = q1;
  for (let i = 0; i < s.length; i++) {
    if (s[i] >= loLimit) {
      if (s[i] <= q1) whiskerLow = s[i];
      break;
    }
  }
  let whiskerHigh = q3;
  for (let i = s.length - 1; i >= 0; i--) {
    if (s[i] <= hiLimit) {
      if (s[i] >= q3) whiskerHigh = s[i];
      break;
    }
  }
  const outliers = Array.from(s).filter((v) => v < whiskerLow || v > whiskerHigh);
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum += s[i];
  return {
    n: s.length,
    mean: s.length ? sum / s.length : NaN,
    q1,
    median: quantileSorted(s, 0.5),
    q3,
    whiskerLow,
    whiskerHigh,
    outliers,
  };
}
