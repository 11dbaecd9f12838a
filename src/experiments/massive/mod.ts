/**
 * Massive activations (Sun et al. 2024; peer code locuslab/massive-activations): per-layer top and median
 * magnitudes of the residual stream (hidden_stats.ts, analysis.ts, summary.ts), where the largest sit, and
 * perplexity with them set to zero or their mean (intervention.ts, intervention_perplexity.ts), on corpus
 * windows (corpus.ts); `runMassive` (massive.ts) writes the run directory for `deno task massive`.
 *
 * @example
 * const summary = await runMassive({
 *   model: "stories260K-hf", sequences: 10, seqLen: 256, corpora: ["wikitext2"], seed: 0,
 *   criterion: PAPER_CRITERION,
 * });
 * console.log(summary.massive); // "none" or "found"
 *
 * @module
 */
export * from "./analysis.ts";
export * from "./corpus.ts";
export * from "./hidden_stats.ts";
export * from "./intervention.ts";
export * from "./intervention_perplexity.ts";
export * from "./layered_forward.ts";
export * from "./massive.ts";
export * from "./summary.ts";
export * from "./tables.ts";
