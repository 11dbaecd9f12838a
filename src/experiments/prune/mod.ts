/**
 * Pruning (`deno task prune`): Wanda or magnitude masks (wanda_mask.ts, magnitude_mask.ts, mask.ts) applied
 * layer by layer, each layer calibrated on the outputs of the already-pruned ones (sequential.ts), with a
 * uniform, activation-guided (the paper's formula, layer_allocation.ts), the authors' per-layer lists
 * (paper_lists.ts) or OWL layer allocation (layer_allocation.ts), calibrated
 * on calibration_sets.ts; prune.ts runs it and writes the Hugging Face checkpoint (pruned_checkpoint.ts).
 *
 * @module
 */
export {
  type Allocation,
  ALLOCATIONS,
  calibrationSeqLen,
  defaultPruneConfig,
  OWL_SEQ_LEN,
  type PruneConfig,
  type PrunedModel,
  pruneModel,
  runPrune,
  SPARSITY_SCHEMA,
  sparsityRows,
} from "./prune.ts";
export {
  backSolveAlpha,
  PAPER_LIST_MODELS,
  PAPER_LIST_SOURCE,
  PAPER_SPARSITY_LISTS,
  paperListAllocation,
  paperListFor,
  type PaperListModel,
} from "./paper_lists.ts";
export { PRUNE_METHODS, type PruneMethod } from "./sequential.ts";
export {
  calibrationLabel,
  type CalibrationSet,
  calibrationSet,
  type CalibrationSpec,
  checkCalibrationDataset,
  defaultCalibrationSplit,
  parseCalibration,
} from "./calibration_sets.ts";
export { uniformAllocation } from "./layer_allocation.ts";
export { pruneConfigOf, PruneSettings } from "./settings.ts";
