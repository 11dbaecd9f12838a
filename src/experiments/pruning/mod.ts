/**
 * Pruning building blocks (issue 5): per-layer sparsity allocations (uniform, the paper's activation-based
 * formula, OWL) and per-matrix masks (Wanda unstructured and N:M, magnitude). Pure TypeScript over typed
 * arrays; the calibration statistics (Wanda's `scaler_row`) come from the engine.
 *
 * @module
 */

export {
  activationAllocation,
  type ActivationAllocationOptions,
  outlierRatio,
  owlAllocation,
  type OwlAllocationOptions,
  uniformAllocation,
  type WandaLinear,
  wandaOutlierRatio,
} from "./layer_allocation.ts";
export {
  applyMask,
  checkSparsity,
  maskedPerRow,
  type MatrixShape,
  parsePrunePattern,
  type PrunePattern,
} from "./mask.ts";
export { magnitudeMask, type MagnitudeOptions, pruneMagnitude } from "./magnitude_mask.ts";
export {
  prunedPerRow,
  pruneWanda,
  sqrtScalerRow,
  wandaMask,
  type WandaOptions,
  wandaScores,
} from "./wanda_mask.ts";
