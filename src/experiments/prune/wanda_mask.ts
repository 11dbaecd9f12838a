/**
 * Wanda masks (Sun et al., locuslab/wanda `lib/prune.py` `prune_wanda`): score_ij = |W_ij|·sqrt(scaler_row_j),
 * compared within each output row.
 *
 * - unstructured: per row, the ⌊cols·s⌋ lowest scores are pruned. Wanda takes the first
 *   `int(W_metric.shape[1] * sparsity)` indices of `torch.sort(W_metric, dim=-1, stable=True)`, so ties go to
 *   the lower column index; we select the same set by radix selection of the threshold, then take every
 *   score below it and the lowest-index equal ones (no per-row sort).
 * - N:M: in every group of M consecutive input columns the N lowest scores (`torch.topk(largest=False)`;
 *   torch leaves tie order unspecified, we take the lower column index).
 *
 * Scores are float32 as in Wanda (`scaler_row` is float32, so fp16/bf16 |W| is promoted): we round
 * sqrt(scaler_row) to float32 and the product to float32; both are correctly rounded, hence identical to
 * torch's float32 arithmetic.
 */

import { ActpatError } from "../../util/errors.ts";
import { markKSmallestStable, markNm, selectScratch } from "./_select.ts";
import { applyMask, checkMatrix, type MatrixShape, type PrunePattern } from "./mask.ts";

/** Options of a Wanda mask: the matrix shape and the pattern. */
export interface WandaOptions extends MatrixShape {
  pattern: PrunePattern;
  /** Names the tensor in errors, e.g. "model.layers.3.mlp.up_proj.weight". */
  name?: string;
}

/** Number of weights pruned per row for unstructured sparsity `s`: Python's `int(cols * s)`. */
export function prunedPerRow(cols: number, s: number): number {
  return Math.floor(cols * s);
}

/** sqrt(scaler_row) rounded to float32, validated (a negative or NaN mean square means broken statistics). */
export function sqrtScalerRow(scalerRow: Float32Array, cols: number, name: string): Float32Array {
  if (scalerRow.length !== cols) {
    throw new ActpatError(
      "prune",
      `${name}: scaler_row has ${scalerRow.length} entries for ${cols} input columns`,
    );
  }
  const out = new Float32Array(cols);
  for (let j = 0; j < cols; j++) {
    const v = scalerRow[j];
    if (!(v >= 0) || v === Infinity) {
      throw new ActpatError("prune", `${name}: scaler_row[${j}] = ${v} is not a finite mean square`);
    }
    out[j] = Math.sqrt(v);
  }
  return out;
}

/** All Wanda scores |W|·sqrt(scaler_row) as float32, row-major like `weight`. */
export function wandaScores(weight: Float32Array, scalerRow: Float32Array, shape: MatrixShape): Float32Array {
  const name = "weight";
  checkMatrix(weight, shape, { kind: "unstructured", sparsity: 0 }, name);
  const sq = sqrtScalerRow(scalerRow, shape.cols, name);
  const out = new Float32Array(weight.length);
  for (let r = 0; r < shape.rows; r++) {
    const base = r * shape.cols;
    for (let j = 0; j < shape.cols; j++) out[base + j] = Math.abs(weight[base + j]) * sq[j];
  }
  return out;
}

/** The Wanda mask (1 = prune) of `weight` [rows, cols] given the calibration `scalerRow` [cols]. */
export function wandaMask(weight: Float32Array, scalerRow: Float32Array, options: WandaOptions): Uint8Array {
  const name = options.name ?? "weight";
  const { rows, cols, pattern } = options;
  checkMatrix(weight, options, pattern, name);
  const sq = sqrtScalerRow(scalerRow, cols, name);
  const mask = new Uint8Array(weight.length);
  const k = pattern.kind === "unstructured" ? prunedPerRow(cols, pattern.sparsity) : 0;
  if (pattern.kind === "unstructured" && k === 0) return mask;
  // One row of scores at a time keeps the extra memory at cols floats.
  const row = new Float32Array(cols);
  const rowBits = new Uint32Array(row.buffer);
  const rowMask = new Uint8Array(cols);
  const hist = selectScratch();
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let j = 0; j < cols; j++) row[j] = Math.abs(weight[base + j]) * sq[j];
    rowMask.fill(0);
    const what = `${name} Wanda scores of row ${r}`;
    if (pattern.kind === "nm") markNm(rowBits, 1, cols, pattern.n, pattern.m, rowMask, what);
    else markKSmallestStable(rowBits, 0, cols, k, rowMask, hist, what);
    mask.set(rowMask, base);
  }
  return mask;
}

/** Computes the Wanda mask, zeros the pruned weights in place and returns the mask. */
export function pruneWanda(weight: Float32Array, scalerRow: Float32Array, options: WandaOptions): Uint8Array {
  const mask = wandaMask(weight, scalerRow, options);
  applyMask(weight, mask);
  return mask;
}
