/**
 * What the activation experiments (density, similarity, relevance, and prune's activation allocation) share:
 * their inputs s as the paper's code draws them, the layer groups scored per pass, and the memory bound their
 * runs are held to.
 *
 * @module
 */
export {
  type ActivationSample,
  activationSamples,
  contextReport,
  type DatasetSamples,
  isUnavailable,
  loadSamplesOrSkip,
  type SampleOptions,
  samplesHash,
  type SkippedDataset,
} from "./samples.ts";
export { groupLabel, layerGroups, layerLinearParams } from "./layer_groups.ts";
export { IDS_WHEN_RUN, plannedSampleIds } from "./planned_ids.ts";
export { measurements, memoryBudget } from "./memory_budget.ts";
