/**
 * The calibration, allocation and OWL settings of a pruning (`deno task prune`, and the prune flags of table1
 * and transfer): one zod schema that the flags are read with (tasks/_schema_flags.ts), whose defaults are
 * {@link defaultPruneConfig}'s, and {@link pruneConfigOf} to turn them into a {@link PruneConfig}.
 */
import { z } from "zod";
import { Gamma, parseGamma } from "../density/gamma.ts";
import { parseCalibration } from "./calibration_sets.ts";
import { PAPER_LIST_MODELS } from "./paper_lists.ts";
import type { PruneConfig } from "./prune.ts";

/** Schema of the prune settings (flags in kebab case: `sparsityType` is `--sparsity-type`). */
export const PruneSettings = z.strictObject({
  sparsity: z.number().gt(0).lt(1).default(0.5).describe(
    "mean target sparsity S in (0, 1); N:M patterns fix it at N/M",
  ),
  sparsityType: z.string().default("unstructured").describe(
    "unstructured or N:M such as 2:4, 4:8 (uniform allocation only)",
  ),
  calibration: z.string().default("c4").describe(
    "c4 (Wanda's), wikitext2, or a task (boolq, piqa, siqa, hellaswag, mmlu) whose prompts are concatenated " +
      "into windows as in the paper's code; NAME:SPLIT picks the split (default train, MMLU auxiliary_train; " +
      "when it is not available another split is used and reported)",
  ),
  nsamples: z.number().int().positive().default(128).describe("calibration sequences"),
  seqLen: z.number().int().positive().nullable().default(null).describe(
    "calibration window length (default: the model's max_position_embeddings, as Wanda)",
  ),
  seed: z.number().int().nonnegative().default(0).describe("calibration sampling seed"),
  batchSize: z.number().int().positive().default(8).describe("calibration sequences per engine call"),
  paperList: z.enum(PAPER_LIST_MODELS).nullable().default(null).describe(
    "paper-lists allocation: the authors' per-layer list (lib/util/prune_ori.py; mean sparsity 0.5 only); " +
      "default: the one the model reference names",
  ),
  alpha: z.number().default(2).describe(
    "activation-formula allocation (the paper's N'_i = sigmoid(z_i + α), S_i = S + βS(1 − L·N'_i/ΣN')): α",
  ),
  beta: z.number().nonnegative().default(0.2).describe("activation-formula allocation: β"),
  std: z.enum(["population", "sample"]).default("population").describe(
    "activation-formula allocation: standard deviation of the counts",
  ),
  densityFrom: z.string().nullable().default(null).describe(
    "a run directory of `deno task density` on this model (its density.csv); without it the counts are " +
      "computed now with --gamma, --density-samples, --density-max-len",
  ),
  densityDataset: z.string().nullable().default(null).describe(
    "dataset of the counts (default: the calibration dataset)",
  ),
  gamma: Gamma.default("q0.99"),
  densitySamples: z.number().int().positive().default(64).describe("samples N for computed counts"),
  densityMaxLen: z.number().int().positive().default(256).describe(
    "corpus window length for computed counts",
  ),
  lambda: z.number().min(0).max(1).default(0.08).describe("OWL's λ"),
  owlM: z.number().nonnegative().default(5).describe("OWL's outlier multiple M"),
  owlSeqLen: z.number().int().positive().nullable().default(null).describe(
    "OWL's calibration window length (default: OWL's 2048, at most --seq-len's)",
  ),
});
export type PruneSettings = z.infer<typeof PruneSettings>;

/** The {@link PruneConfig} of `settings`, with the method and allocation the caller chose. */
export function pruneConfigOf(
  settings: PruneSettings,
  fixed: Pick<PruneConfig, "method" | "allocation">,
): PruneConfig {
  return {
    ...fixed,
    sparsity: settings.sparsity,
    pattern: settings.sparsityType,
    calibration: parseCalibration(settings.calibration),
    nsamples: settings.nsamples,
    seqLen: settings.seqLen,
    seed: settings.seed,
    batchSize: settings.batchSize,
    paperList: settings.paperList,
    activation: {
      alpha: settings.alpha,
      beta: settings.beta,
      std: settings.std,
      densityFrom: settings.densityFrom,
      densityDataset: settings.densityDataset,
      gamma: parseGamma(settings.gamma),
      samples: settings.densitySamples,
      maxLen: settings.densityMaxLen,
    },
    owl: { lambda: settings.lambda, M: settings.owlM, seqLen: settings.owlSeqLen },
  };
}
