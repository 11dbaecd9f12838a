/**
 * Massive activations (Sun et al. 2024; peer code locuslab/massive-activations): per-layer top and median
 * magnitudes of the residual stream (hidden_stats.ts, analysis.ts, summary.ts), where the largest sit, and
 * perplexity with them set to zero or their mean by the project's threshold rule (intervention.ts) or the
 * reference's hook.py (paper_intervention.ts), scored by intervention_perplexity.ts on corpus windows
 * (corpus.ts); the paper's signature figure data (features.ts) and the attention mass on massive tokens
 * (attention_mass.ts); `runMassive` (massive.ts) writes the run directory and tables.ts its CSV files.
 *
 * @module
 */
export { type MassiveOptions, runMassive } from "./massive.ts";
export { PAPER_CRITERION } from "./hidden_stats.ts";
export { REFERENCE_LAYER, REFERENCE_SITES } from "./paper_intervention.ts";
export { MassiveSettings } from "./settings.ts";
