/**
 * Per-layer target sparsities: uniform, the paper's activation-based allocation, and OWL.
 */

import { ActpatError } from "../../util/errors.ts";
import { sqrtScalerRow } from "./wanda_mask.ts";

/** Every one of `layers` layers gets sparsity `sparsity`. */
export function uniformAllocation(layers: number, sparsity: number): number[] {
  checkLayers(layers);
  checkTarget(sparsity);
  return new Array<number>(layers).fill(sparsity);
}

/** Options of `activationAllocation`. */
export interface ActivationAllocationOptions {
  /** Target mean sparsity S. */
  sparsity: number;
  /** Shift inside the sigmoid (paper: 2). */
  alpha?: number;
  /** Spread of the allocation around S, as a fraction of S (paper: 0.2). */
  beta?: number;
  /**
   * Standard deviation used to standardise the counts. The paper writes "std" and its released code
   * (Qian2333/Exploring-Activation-Patterns-of-Parameters-in-Language-Models) contains no allocation code,
   * only hard-coded per-layer lists in `lib/util/prune_ori.py` `prune_wanda_pro`; those lists have mean 0.5
   * but cannot come from α = 2, β = 0.2 under either convention (checked: they need max_i N'_i/mean N' = 1.36,
   * while sigmoid(z + 2) of standardised z never exceeds about 1.2), so they do not decide it. We default to
   * the population std (numpy's `np.std`, the usual tool for a list of counts); "sample" (ddof = 1, torch's
   * default) moves each S_i by at most 0.0011 on the paper's 32-layer counts.
   */
  std?: "population" | "sample";
}

/**
 * The paper's layerwise sparsity from per-layer activated-parameter counts N_i:
 * N'_i = sigmoid((N_i − mean N)/std N + α), S_i = S + β·S·(1 − L·N'_i / Σ_j N'_j).
 * (The AAAI text writes α/i, i the layer, in the sigmoid; the constant α here is not that variant.) The
 * authors' code never evaluates this formula: Table 1's "Wanda (ours)" ran their hard-coded lists
 * (paper_lists.ts, allocation `paper-lists`), which α = 2, β = 0.2 cannot give (paper/FIDELITY.md).
 * Σ_i (1 − L·N'_i/ΣN') = 0, so the mean of S_i is S up to rounding (≤ L ulps). Layers with more activated
 * parameters get lower sparsity. Equal counts (std 0) give the uniform allocation, the limit of the formula.
 */
export function activationAllocation(
  counts: readonly number[],
  options: ActivationAllocationOptions,
): number[] {
  const { sparsity: s, alpha = 2, beta = 0.2, std = "population" } = options;
  const L = counts.length;
  checkLayers(L);
  checkTarget(s);
  if (L < 2) {
    throw new ActpatError("allocate layer sparsity", "the activation allocation needs at least 2 layers");
  }
  for (let i = 0; i < L; i++) {
    if (!Number.isFinite(counts[i]) || counts[i] < 0) {
      throw new ActpatError(
        "allocate layer sparsity",
        `activated-parameter count of layer ${i} is ${counts[i]}`,
      );
    }
  }
  if (!Number.isFinite(alpha) || !Number.isFinite(beta) || beta < 0) {
    throw new ActpatError(
      "allocate layer sparsity",
      `alpha = ${alpha}, beta = ${beta} must be finite, beta >= 0`,
    );
  }
  let mean = 0;
  for (const c of counts) mean += c;
  mean /= L;
  let ss = 0;
  for (const c of counts) ss += (c - mean) * (c - mean);
  const sd = Math.sqrt(ss / (std === "sample" ? L - 1 : L));
  if (sd === 0) return uniformAllocation(L, s);
  const nPrime = counts.map((c) => 1 / (1 + Math.exp(-((c - mean) / sd + alpha))));
  let sum = 0;
  for (const v of nPrime) sum += v;
  const out = nPrime.map((v) => s + beta * s * (1 - (L * v) / sum));
  for (let i = 0; i < L; i++) {
    if (!(out[i] >= 0 && out[i] <= 1)) {
      throw new ActpatError(
        "allocate layer sparsity",
        `layer ${i} gets sparsity ${
          out[i]
        } outside [0, 1] (S = ${s}, beta = ${beta}); lower --sparsity or beta`,
      );
    }
  }
  return out;
}

/** Options of `owlAllocation`. */
export interface OwlAllocationOptions {
  /** Target mean sparsity S. */
  sparsity: number;
  /** OWL's λ (`--Lamda`, default 0.08): the allocation spans S ± λ. */
  lambda?: number;
}

/**
 * OWL (Yin et al., 2024) layer sparsities from per-layer outlier ratios, exactly as luuyin/OWL
 * `lib/prune_all.py` `prune_wanda_outlier`:
 *
 *     all_layer_ratio = (r - r.min()) * (1 / (r.max() - r.min()) * Lamda * 2)
 *     all_layer_ratio = all_layer_ratio - np.mean(all_layer_ratio) + (1 - sparsity_ratio)   # densities
 *     layer_sparsity_ratio = 1 - all_layer_ratio[i];  if <= 0: 0.01
 *
 * so layers with more outliers keep more weights, and the mean sparsity is S. The scale of r (OWL uses
 * percent, `outlierRatio` returns a fraction) cancels in the min–max normalisation. When all ratios are equal
 * OWL divides by zero (NaN everywhere); we return the uniform allocation instead, its obvious intent.
 */
export function owlAllocation(outlierRatios: readonly number[], options: OwlAllocationOptions): number[] {
  const { sparsity: s, lambda = 0.08 } = options;
  const L = outlierRatios.length;
  checkLayers(L);
  checkTarget(s);
  if (!Number.isFinite(lambda) || lambda < 0) {
    throw new ActpatError("allocate layer sparsity", `OWL lambda must be finite and >= 0, got ${lambda}`);
  }
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < L; i++) {
    const r = outlierRatios[i];
    if (!Number.isFinite(r)) {
      throw new ActpatError("allocate layer sparsity", `outlier ratio of layer ${i} is ${r}`);
    }
    if (r < min) min = r;
    if (r > max) max = r;
  }
  if (max === min) return uniformAllocation(L, s);
  const scale = (1 / (max - min)) * lambda * 2;
  const normed = outlierRatios.map((r) => (r - min) * scale);
  let mean = 0;
  for (const v of normed) mean += v;
  mean /= L;
  return normed.map((v) => {
    const layerSparsity = 1 - (v - mean + (1 - s));
    return layerSparsity <= 0 ? 0.01 : layerSparsity;
  });
}

/**
 * OWL's layer outlier ratio (`check_outlier_mean`): the fraction of scores strictly above M × their mean,
 * over the concatenation of the given arrays (OWL concatenates the Wanda scores of a layer's 7 linears).
 * OWL's mean is torch float32; we sum in float64 and round the mean and the threshold to float32, which
 * can differ from torch's summation order only for a score within an ulp of the threshold. Returns a
 * fraction (OWL: percent; the scale cancels in `owlAllocation`).
 */
export function outlierRatio(scores: Float32Array | readonly Float32Array[], M = 5): number {
  const parts = scores instanceof Float32Array ? [scores] : scores;
  let n = 0;
  let sum = 0;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) sum += p[i];
    n += p.length;
  }
  if (n === 0) throw new ActpatError("compute outlier ratio", "no scores given");
  if (!Number.isFinite(sum)) throw new ActpatError("compute outlier ratio", `scores sum to ${sum}`);
  const thr = Math.fround(Math.fround(sum / n) * M);
  let count = 0;
  for (const p of parts) for (let i = 0; i < p.length; i++) if (p[i] > thr) count++;
  return count / n;
}

/** One linear of a layer for `wandaOutlierRatio`: its weight [rows, cols] and calibration scaler_row [cols]. */
export interface WandaLinear {
  weight: Float32Array;
  scalerRow: Float32Array;
  rows: number;
  cols: number;
  name?: string;
}

/**
 * `outlierRatio` of a layer's Wanda scores |W|·sqrt(scaler_row), computed in two streaming passes so the
 * scores of all 7 linears (hundreds of MB for a 7B layer) are never held at once.
 */
export function wandaOutlierRatio(linears: readonly WandaLinear[], M = 5): number {
  let n = 0;
  let sum = 0;
  const roots = linears.map((l) => {
    const name = l.name ?? "weight";
    if (l.weight.length !== l.rows * l.cols) {
      throw new ActpatError(
        "compute outlier ratio",
        `${name}: ${l.weight.length} elements for [${l.rows}, ${l.cols}]`,
      );
    }
    return sqrtScalerRow(l.scalerRow, l.cols, name);
  });
  const score = new Float32Array(1);
  for (let li = 0; li < linears.length; li++) {
    const { weight, rows, cols } = linears[li];
    const sq = roots[li];
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      for (let j = 0; j < cols; j++) {
        score[0] = Math.abs(weight[base + j]) * sq[j];
        sum += score[0];
      }
    }
    n += weight.length;
  }
  if (n === 0) throw new ActpatError("compute outlier ratio", "no linears given");
  if (!Number.isFinite(sum)) throw new ActpatError("compute outlier ratio", `Wanda scores sum to ${sum}`);
  const thr = Math.fround(Math.fround(sum / n) * M);
  let count = 0;
  for (let li = 0; li < linears.length; li++) {
    const { weight, rows, cols } = linears[li];
    const sq = roots[li];
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      for (let j = 0; j < cols; j++) {
        score[0] = Math.abs(weight[base + j]) * sq[j];
        if (score[0] > thr) count++;
      }
    }
  }
  return count / n;
}

function checkLayers(layers: number): void {
  if (!Number.isInteger(layers) || layers < 1) {
    throw new ActpatError(
      "allocate layer sparsity",
      `number of layers must be a positive integer, got ${layers}`,
    );
  }
}

function checkTarget(s: number): void {
  if (!Number.isFinite(s) || s < 0 || s >= 1) {
    throw new ActpatError("allocate layer sparsity", `--sparsity must be in [0, 1), got ${s}`);
  }
}
