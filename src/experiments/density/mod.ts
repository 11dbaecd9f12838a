/**
 * Density of activated parameters (paper finding 1, Figure 1): per dataset, decoder layer and linear, how many
 * parameters have a mean activation A(s, w) = |w ∂y(s)/∂w| above γ. `runDensity` writes the run directory
 * (run.ts), `densityFromRun` recomputes it for another γ without the model; the statistic is density.ts, its
 * histogram histogram.ts, and the per-layer counts N_i that prune's activation allocation reads are counts.ts.
 *
 * @module
 */
export { activationSums, countMeansAbove, DENSITY_COLUMNS, meanQuantile } from "./density.ts";
export { Gamma, type GammaSpec, parseGamma } from "./gamma.ts";
export { codeGamma, GAMMA_SOURCES, paperGammas, SourcedGamma, textGamma } from "./paper_gammas.ts";
export {
  DENSITY_GAMMAS_COLUMNS,
  type DensityFromOptions,
  densityFromRun,
  type DensityResult,
  type DensityRunOptions,
  runDensity,
} from "./run.ts";
export { computeDensityCounts, readDensityCounts } from "./counts.ts";
export { DensitySettings } from "./settings.ts";
