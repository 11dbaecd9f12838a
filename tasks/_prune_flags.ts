/**
 * Flags shared by prune, table1 and transfer: calibration, sampling, and the allocation parameters, with
 * their parsing into a {@link PruneConfig}; plus the evaluation flags of table1 and transfer (from EvalSettings).
 */
import type { ParseArgsConfig } from "node:util";
import { nonNegativeInt, numberIn, oneOf, positiveInt } from "./_cli.ts";
import { parseGamma } from "../src/experiments/density/mod.ts";
import {
  defaultPruneConfig,
  PAPER_LIST_MODELS,
  parseCalibration,
  type PruneConfig,
} from "../src/experiments/prune/mod.ts";
import { type EvalConfig, EvalSettings } from "../src/experiments/eval/mod.ts";
import { schemaFlags, schemaHelp, schemaValues } from "./_schema_flags.ts";

/** Calibration and allocation flags. */
export const PRUNE_FLAGS = {
  sparsity: { type: "string", default: "0.5" },
  "sparsity-type": { type: "string", default: "unstructured" },
  calibration: { type: "string", default: "c4" },
  nsamples: { type: "string", default: "128" },
  "seq-len": { type: "string" },
  seed: { type: "string", default: "0" },
  "batch-size": { type: "string", default: "8" },
  "paper-list": { type: "string" },
  alpha: { type: "string", default: "2" },
  beta: { type: "string", default: "0.2" },
  std: { type: "string", default: "population" },
  "density-from": { type: "string" },
  "density-dataset": { type: "string" },
  gamma: { type: "string", default: "q0.99" },
  "density-samples": { type: "string", default: "64" },
  "density-max-len": { type: "string", default: "256" },
  lambda: { type: "string", default: "0.08" },
  "owl-m": { type: "string", default: "5" },
  "owl-seq-len": { type: "string" },
} as const satisfies ParseArgsConfig["options"];

/** Help lines of {@link PRUNE_FLAGS}. */
export const PRUNE_HELP =
  `  --sparsity        mean target sparsity S in (0, 1) (default 0.5); N:M patterns fix it at N/M
  --sparsity-type   unstructured (default) or N:M such as 2:4, 4:8 (uniform allocation only)
  --calibration     c4 (default, Wanda's), wikitext2, or a task (boolq, piqa, siqa, hellaswag, mmlu) whose prompts
                    are concatenated into windows as in the paper's code; NAME:SPLIT picks the split (default
                    train, MMLU auxiliary_train; when it is not available another split is used and reported)
  --nsamples        calibration sequences (default 128)
  --seq-len         calibration window length (default: the model's max_position_embeddings, as Wanda)
  --seed            calibration sampling seed (default 0)
  --batch-size      calibration sequences per engine call (default 8)
  paper-lists allocation (the authors' per-layer lists, lib/util/prune_ori.py; mean sparsity 0.5 only):
  --paper-list      llama-7b, llama2-7b, llama2-13b or llama3-8b (default: the one the model reference names)
  activation-formula allocation (the paper's N'_i = sigmoid(z_i + α), S_i = S + βS(1 − L·N'_i/ΣN')):
  --alpha, --beta   α (default 2) and β (default 0.2)
  --std             population (default) or sample standard deviation of the counts
  --density-from    a run directory of \`deno task density\` on this model (its density.csv); without it the
                    counts are computed now with --gamma, --density-samples, --density-max-len
  --density-dataset dataset of the counts (default: the calibration dataset)
  --gamma           γ, absolute (2e-6) or a quantile of the model's own activations (q0.99, default)
  --density-samples samples N for computed counts (default 64); --density-max-len corpus windows (default 256)
  OWL:
  --lambda          OWL's λ (default 0.08); --owl-m outlier multiple M (default 5)
  --owl-seq-len     OWL's calibration window length (default: OWL's 2048, at most --seq-len's)`;

type Values = { [K in keyof typeof PRUNE_FLAGS]?: string };

/** A {@link PruneConfig} from the flags (method and allocation given by the caller). */
export function pruneConfigFrom(
  values: Values,
  fixed: Pick<PruneConfig, "method" | "allocation">,
): PruneConfig {
  const std = oneOf("std", values.std!, ["population", "sample"] as const);
  return defaultPruneConfig({
    ...fixed,
    sparsity: numberIn("sparsity", values.sparsity, 0, 1)!,
    pattern: values["sparsity-type"]!,
    calibration: parseCalibration(values.calibration!),
    nsamples: positiveInt("nsamples", values.nsamples)!,
    seqLen: positiveInt("seq-len", values["seq-len"]) ?? null,
    seed: nonNegativeInt("seed", values.seed)!,
    batchSize: positiveInt("batch-size", values["batch-size"])!,
    paperList: values["paper-list"] === undefined
      ? null
      : oneOf("paper-list", values["paper-list"], PAPER_LIST_MODELS),
    activation: {
      alpha: numberIn("alpha", values.alpha, -1e6, 1e6)!,
      beta: numberIn("beta", values.beta, 0, 1e6)!,
      std,
      densityFrom: values["density-from"] ?? null,
      densityDataset: values["density-dataset"] ?? null,
      gamma: parseGamma(values.gamma!),
      samples: positiveInt("density-samples", values["density-samples"])!,
      maxLen: positiveInt("density-max-len", values["density-max-len"])!,
    },
    owl: {
      lambda: numberIn("lambda", values.lambda, 0, 1)!,
      M: numberIn("owl-m", values["owl-m"], 0, 1e6)!,
      seqLen: positiveInt("owl-seq-len", values["owl-seq-len"]) ?? null,
    },
  });
}

/** Flag names of the evaluation settings in table1 and transfer, where the prune flags take the plain ones. */
const EVAL_RENAME = { seqLen: "eval-seq-len", batchSize: "eval-batch-size" };

/** Evaluation flags of table1 and transfer ({@link EvalSettings}'). */
export const EVAL_FLAGS = schemaFlags(EvalSettings, EVAL_RENAME);

/** Help lines of {@link EVAL_FLAGS}, with the command's default tasks. */
export function evalHelp(tasks: readonly string[]): string {
  return schemaHelp(EvalSettings, { rename: EVAL_RENAME, defaults: { tasks } });
}

/** An {@link EvalConfig} from {@link EVAL_FLAGS}, with the command's default tasks. */
export function evalConfigFrom(values: Record<string, unknown>, tasks: readonly string[]): EvalConfig {
  return schemaValues(EvalSettings, values, { rename: EVAL_RENAME, defaults: { tasks: [...tasks] } });
}
