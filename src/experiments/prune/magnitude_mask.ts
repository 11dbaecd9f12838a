/**
 * Magnitude pruning per matrix, as locuslab/wanda `lib/prune.py` `prune_magnitude`:
 *
 *     thresh = torch.sort(W_metric.flatten())[0][int(W.numel() * sparsity_ratio)]
 *     W_mask = (W_metric <= thresh)
 *
 * i.e. the threshold is the element at 0-based index k = int(numel·s) of the sorted |W| (the (k+1)-th
 * smallest), and every |W| <= threshold is pruned: k + 1 weights when there are no ties, more with ties.
 * We follow that literally, including at s = 0 (the smallest |W| is still pruned; wanda's `main.py` skips
 * pruning altogether when the global sparsity is 0, so callers should too). N:M uses `torch.topk` on |W|
 * per group of M columns, ties to the lower column index as in `wanda_mask.ts`.
 */

import { ActpatError } from "../../util/errors.ts";
import { kthSmallestKey, markNm, selectScratch } from "./_select.ts";
import { applyMask, checkMatrix, type MatrixShape, type PrunePattern } from "./mask.ts";

/** Options of a magnitude mask: the matrix shape and the pattern. */
export interface MagnitudeOptions extends MatrixShape {
  pattern: PrunePattern;
  /** Names the tensor in errors. */
  name?: string;
}

/** The magnitude mask (1 = prune) of `weight` [rows, cols]. */
export function magnitudeMask(weight: Float32Array, options: MagnitudeOptions): Uint8Array {
  const name = options.name ?? "weight";
  const { rows, cols, pattern } = options;
  checkMatrix(weight, options, pattern, name);
  const bits = new Uint32Array(weight.buffer, weight.byteOffset, weight.length);
  const mask = new Uint8Array(weight.length);
  if (pattern.kind === "nm") {
    markNm(bits, rows, cols, pattern.n, pattern.m, mask, `${name} |W| (flattened)`);
    return mask;
  }
  const k = Math.floor(weight.length * pattern.sparsity);
  if (k >= weight.length) {
    // torch indexes past the end of the sorted tensor here and raises.
    throw new ActpatError(
      "prune",
      `${name}: magnitude sparsity ${pattern.sparsity} leaves no threshold element`,
    );
  }
  const thr = kthSmallestKey(bits, 0, weight.length, k, selectScratch(), `${name} |W| (flattened)`);
  for (let i = 0; i < weight.length; i++) if ((bits[i] & 0x7fffffff) <= thr) mask[i] = 1;
  return mask;
}

/** Computes the magnitude mask, zeros the pruned weights in place and returns the mask. */
export function pruneMagnitude(weight: Float32Array, options: MagnitudeOptions): Uint8Array {
  const mask = magnitudeMask(weight, options);
  applyMask(weight, mask);
  return mask;
}
