/**
 * Similarity of activation patterns (paper findings 2 and 3): per dataset pair, the similarity of two inputs'
 * v = W ⊙ ∂y/∂W at every layer (similarity.ts, run by run.ts), and the dataset × dataset relevance matrix of
 * the mean deep-layer similarity (relevance.ts).
 *
 * @module
 */
export { SIMILARITY_COLUMNS, SIMILARITY_SUMMARY_COLUMNS } from "./similarity.ts";
export { parsePairs, runSimilarity, type SimilarityRunOptions } from "./run.ts";
export { RELEVANCE_COLUMNS, relevancePairs, runRelevance } from "./relevance.ts";
export { RelevanceSettings, SimilaritySettings } from "./settings.ts";
