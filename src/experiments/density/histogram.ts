/**
 * Log-spaced histogram of per-parameter mean activations A = mean over samples of |w ∂y/∂w|, so density
 * counts for any threshold γ can be recomputed from a run directory without the model.
 *
 * Bin edges: 20 per decade from 1e-12 to 1e2, each 10^(j/20) rounded to two significant digits
 * (1.0, 1.1, 1.3, 1.4, 1.6, 1.8, 2.0, 2.2, 2.5, 2.8, 3.2, 3.5, 4.0, 4.5, 5.0, 5.6, 6.3, 7.1, 7.9, 8.9 × 10^k), so
 * the paper's thresholds 2e-6, 5e-6 (distribution_draw.py) and 2e-5 (its text) are edges. Each edge is the
 * double nearest its decimal, i.e. the same double as the flag `--gamma 2e-6`.
 *
 * Bins are left-open: bin 0 holds x ≤ 1e-12 (zeros included); bin k (1..280) holds E[k-1] < x ≤ E[k]; bin 281
 * holds x > 1e2. So for γ equal to an edge, #{x > γ} is exactly the sum of the bins above it.
 */
import { ActpatError } from "../../util/errors.ts";

const DECADE_MANTISSAS = [10, 11, 13, 14, 16, 18, 20, 22, 25, 28, 32, 35, 40, 45, 50, 56, 63, 71, 79, 89];
/** Lowest and highest edge exponents (1e-12 … 1e2). */
export const HISTOGRAM_RANGE = { minExponent: -12, maxExponent: 2 } as const;

/** The 281 bin edges, ascending. */
export const BIN_EDGES: Float64Array = (() => {
  const edges: number[] = [];
  for (let k = HISTOGRAM_RANGE.minExponent; k < HISTOGRAM_RANGE.maxExponent; k++) {
    for (const m of DECADE_MANTISSAS) edges.push(Number(`${m}e${k - 1}`));
  }
  edges.push(Number(`1e${HISTOGRAM_RANGE.maxExponent}`));
  return Float64Array.from(edges);
})();

/** Number of bins: underflow, one per pair of neighbouring edges, overflow. */
export const BIN_COUNT: number = BIN_EDGES.length + 1;

const E0 = BIN_EDGES[0];
const ELAST = BIN_EDGES[BIN_EDGES.length - 1];

/** Bounds of bin `bin`: values v with lower < v ≤ upper (bin 0: 0 ≤ v ≤ upper; last bin: upper = ∞). */
export function binBounds(bin: number): { lower: number; upper: number } {
  if (!Number.isInteger(bin) || bin < 0 || bin >= BIN_COUNT) {
    throw new ActpatError("read histogram bin", `bin ${bin} is outside [0, ${BIN_COUNT})`);
  }
  if (bin === 0) return { lower: 0, upper: E0 };
  if (bin === BIN_COUNT - 1) return { lower: ELAST, upper: Infinity };
  return { lower: BIN_EDGES[bin - 1], upper: BIN_EDGES[bin] };
}

// Fast binning: the high 32 bits of a double hold sign, exponent and 20 mantissa bits; the top 17 of them
// (exponent + 6 mantissa bits) cut the line into cells 2^-6 ≈ 1.6 % wide, narrower than the closest edges
// (1.3 → 1.4, 7.7 %), so a cell holds at most one edge and one comparison finishes the lookup.
const SHIFT = 14;
const scratch = new Float64Array(1);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const hiWord = new Uint32Array(scratch.buffer, LITTLE_ENDIAN ? 4 : 0, 1);
function cellOf(x: number): number {
  scratch[0] = x;
  return hiWord[0] >>> SHIFT;
}
const CELL0 = cellOf(E0);
/** For each cell, the first bin whose upper edge is ≥ the cell's smallest value. */
const CELL_BIN: Int32Array = (() => {
  const cells = cellOf(ELAST) - CELL0 + 1;
  const table = new Int32Array(cells);
  const lowWord = new Uint32Array(scratch.buffer);
  for (let c = 0; c < cells; c++) {
    lowWord.fill(0);
    hiWord[0] = (c + CELL0) << SHIFT;
    const lo = scratch[0];
    let k = 0;
    while (k < BIN_EDGES.length - 1 && BIN_EDGES[k] < lo) k++;
    table[c] = Math.max(1, k);
  }
  return table;
})();

/** The bin of a value (see the module doc); NaN throws. */
export function binIndex(x: number): number {
  if (!(x > E0)) {
    if (Number.isNaN(x)) throw new ActpatError("bin an activation", "the value is NaN");
    return 0;
  }
  if (x > ELAST) return BIN_COUNT - 1;
  let k = CELL_BIN[cellOf(x) - CELL0];
  while (x > BIN_EDGES[k]) k++;
  return k;
}

/**
 * Adds the means `sums[i] / samples` (float64 division, the value every count compares with γ) to `hist`,
 * and returns how many of them exceed `gamma` (0 when gamma is undefined). `what` names the tensor in errors.
 */
export function addMeans(
  hist: Float64Array,
  sums: Float32Array | Float64Array,
  samples: number,
  what: string,
  gamma?: number,
): number {
  if (hist.length !== BIN_COUNT) {
    throw new ActpatError("fill histogram", `it has ${hist.length} bins, not ${BIN_COUNT}`);
  }
  let above = 0;
  const g = gamma ?? Infinity;
  for (let i = 0; i < sums.length; i++) {
    const x = sums[i] / samples;
    if (!(x > E0)) {
      if (x !== x) throw new ActpatError("compute density", `the mean activation of ${what}[${i}] is NaN`);
      hist[0]++;
    } else if (x > ELAST) {
      // An infinite sum is an overflow (a float16 product or batch sum past 65504), not a large activation.
      if (x === Infinity) {
        throw new ActpatError(
          "compute density",
          `the mean activation of ${what}[${i}] is infinite (an overflow; compute in bfloat16 or float32)`,
        );
      }
      hist[BIN_COUNT - 1]++;
    } else {
      let k = CELL_BIN[cellOf(x) - CELL0];
      while (x > BIN_EDGES[k]) k++;
      hist[k]++;
    }
    if (x > g) above++;
  }
  return above;
}

/** Count of values above γ read from a histogram: exact, or bounds and an estimate. */
export interface HistogramCount {
  /** True when γ is a bin edge (or below every value's possible range), so lower = upper. */
  exact: boolean;
  lower: number;
  upper: number;
  /** Exact count, or the lower count plus the straddled bin's share assuming log-uniform values in it. */
  estimate: number;
}

/** #{x > γ} from a histogram of {@link BIN_COUNT} bins. */
export function countAbove(hist: ArrayLike<number>, gamma: number): HistogramCount {
  if (hist.length !== BIN_COUNT) {
    throw new ActpatError("read histogram", `it has ${hist.length} bins, not ${BIN_COUNT}`);
  }
  if (Number.isNaN(gamma)) throw new ActpatError("read histogram", "γ is NaN");
  const sumFrom = (bin: number) => {
    let s = 0;
    for (let k = bin; k < BIN_COUNT; k++) s += hist[k];
    return s;
  };
  if (gamma < 0) {
    const all = sumFrom(0);
    return { exact: true, lower: all, upper: all, estimate: all };
  }
  // The bin that holds γ itself: values in it lie on both sides of γ unless γ is its upper edge.
  const bin = binIndex(gamma);
  const { lower, upper } = binBounds(bin);
  const above = sumFrom(bin + 1);
  if (gamma === upper) return { exact: true, lower: above, upper: above, estimate: above };
  const straddled = hist[bin];
  let share = 0;
  if (bin > 0 && bin < BIN_COUNT - 1 && straddled > 0) {
    share = Math.round(straddled * Math.log(upper / gamma) / Math.log(upper / lower));
  }
  return { exact: straddled === 0, lower: above, upper: above + straddled, estimate: above + share };
}

/** Whether `gamma` is one of the histogram's edges (counts read from the histogram are then exact). */
export function isBinEdge(gamma: number): boolean {
  return BIN_EDGES.includes(gamma);
}

/**
 * The edge γ whose count above is nearest to (1 − p) of all values, for a quantile threshold when the
 * values themselves are not kept. Returns γ and the fraction of values above it.
 */
export function nearestEdgeQuantile(
  hist: ArrayLike<number>,
  p: number,
): { gamma: number; fractionAbove: number } {
  let total = 0;
  for (let k = 0; k < BIN_COUNT; k++) total += hist[k];
  if (total === 0) throw new ActpatError("compute a quantile threshold", "the histogram is empty");
  const target = (1 - p) * total;
  let best = { gamma: BIN_EDGES[0], above: total - hist[0] };
  let above = total - hist[0];
  for (let e = 0; e < BIN_EDGES.length; e++) {
    // above = #{x > BIN_EDGES[e]} = values in bins e+1 and higher.
    if (Math.abs(above - target) < Math.abs(best.above - target)) best = { gamma: BIN_EDGES[e], above };
    above -= hist[e + 1];
  }
  return { gamma: best.gamma, fractionAbove: best.above / total };
}
