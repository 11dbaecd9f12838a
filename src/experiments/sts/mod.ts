/**
 * STS (paper Table 3): do sentences that people judge similar share activation patterns? Per sampled pair of
 * STS-B / SICK, the activation similarity of the two sentences at each layer (pair_similarity.ts) and the
 * hidden-state baselines (hidden_similarity.ts), correlated with the gold scores per layer range (sts.ts).
 *
 * @module
 */
export { PAPER_LAYER_RANGES, resolveStsSplit, runSts, type StsOptions } from "./sts.ts";
export { paperStsRanges } from "./paper_ranges.ts";
export { StsSettings } from "./settings.ts";
