/**
 * The settings of a density run that a configuration fixes (the reproduce config's `density` section); the
 * task's flags give the same fields, and `runDensity` takes them with the run options.
 */
import { z } from "zod";
import { Gamma } from "./gamma.ts";
import { SourcedGamma } from "./paper_gammas.ts";

/** Schema of the density settings. */
export const DensitySettings = z.strictObject({
  datasets: z.array(z.string()).min(1),
  samples: z.number().int().positive().describe("samples N per dataset"),
  maxLen: z.number().int().positive().describe("corpus window length"),
  shots: z.number().int().nonnegative(),
  gamma: Gamma,
  gammas: z.array(SourcedGamma).default([]).describe(
    "further γ counted into density_gammas.csv with their source (the paper's code and text differ)",
  ),
  batchSize: z.number().int().positive(),
  layerGroup: z.number().int().positive().nullable().default(null).describe("layers per graph; null: all"),
});
export type DensitySettings = z.infer<typeof DensitySettings>;
