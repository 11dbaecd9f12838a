/**
 * `deno task prune --model REF [--method wanda|magnitude] [--allocation uniform|activation|owl]
 * [--sparsity 0.5] [--sparsity-type unstructured|2:4|4:8] [--calibration c4|wikitext2|TASK[:SPLIT]]
 * [--nsamples 128] [--seq-len L] [--save DIR] ...`: prunes the seven linears of every decoder layer and writes
 * a Hugging Face checkpoint with pruning.json and sparsity.csv (src/experiments/prune.ts).
 */
import {
  engineOptions,
  MODEL_FLAGS,
  nonNegativeInt,
  numberIn,
  parseTaskArgs,
  positiveInt,
  required,
} from "./_cli.ts";
import { type Allocation, ALLOCATIONS, defaultPruneConfig, runPrune } from "../src/experiments/prune.ts";
import { parseCalibration } from "../src/experiments/calibration_sets.ts";
import { ActpatError, runMain } from "../src/util/errors.ts";

const USAGE =
  "usage: deno task prune --model REF [--method wanda|magnitude] [--allocation uniform|activation|owl] " +
  "[--sparsity 0.5] [--sparsity-type unstructured|2:4|4:8] [--calibration NAME[:SPLIT]] [--nsamples 128] " +
  "[--seq-len L] [--seed 0] [--save DIR] [--out DIR] [--ep cpu|webgpu|cuda] [--threads N] " +
  "[--dtype float32|float16|float64] [--tokenizer REF]";

const HELP = `${USAGE}

  --method          wanda (|W|·sqrt(mean Σx²), per output row) or magnitude (|W|, per matrix); default wanda
  --allocation      per-layer sparsity: uniform (default), activation (the paper's formula from per-layer
                    activated-parameter counts) or owl (outlier-weighted, λ, M)
  --sparsity        mean target sparsity S in (0, 1) (default 0.5); N:M patterns fix it at N/M
  --sparsity-type   unstructured (default) or N:M such as 2:4, 4:8 (uniform allocation only)
  --calibration     c4 (default, Wanda's), wikitext2, or a task (boolq, piqa, siqa, hellaswag, mmlu) whose prompts
                    are concatenated into windows as in the paper's code; NAME:SPLIT picks the split (default
                    train, MMLU validation; when it is not available another split is used and reported)
  --nsamples        calibration sequences (default 128)
  --seq-len         calibration window length (default: the model's max_position_embeddings, as Wanda)
  --seed            calibration sampling seed (default 0)
  --batch-size      calibration sequences per engine call (default 8)
  activation allocation:
  --alpha, --beta   the paper's α (default 2) and β (default 0.2)
  --std             population (default) or sample standard deviation of the counts
  --density-from    a run directory of \`deno task density\` on this model (its density.csv); without it the
                    counts are computed now with --gamma, --density-samples, --density-max-len
  --density-dataset dataset of the counts (default: the calibration dataset)
  --gamma           γ, absolute (2e-6) or a quantile of the model's own activations (q0.99, default)
  --density-samples samples N for computed counts (default 64); --density-max-len corpus windows (default 256)
  OWL:
  --lambda          OWL's λ (default 0.08); --owl-m outlier multiple M (default 5)
  --save            checkpoint folder (default <run dir>/model); --out run directory`;

await runMain(async () => {
  const { values } = parseTaskArgs("prune", USAGE, Deno.args, {
    ...MODEL_FLAGS,
    method: { type: "string", default: "wanda" },
    allocation: { type: "string", default: "uniform" },
    sparsity: { type: "string", default: "0.5" },
    "sparsity-type": { type: "string", default: "unstructured" },
    calibration: { type: "string", default: "c4" },
    nsamples: { type: "string", default: "128" },
    "seq-len": { type: "string" },
    seed: { type: "string", default: "0" },
    "batch-size": { type: "string", default: "8" },
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
    save: { type: "string" },
    out: { type: "string" },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const model = required("prune", USAGE, "model", values.model);
  const method = values.method;
  if (method !== "wanda" && method !== "magnitude") {
    throw new ActpatError("parse --method", `"${method}" is not wanda or magnitude`);
  }
  const allocation = values.allocation as Allocation;
  if (!ALLOCATIONS.includes(allocation)) {
    throw new ActpatError(
      "parse --allocation",
      `"${values.allocation}" is not one of ${ALLOCATIONS.join(", ")}`,
    );
  }
  const std = values.std;
  if (std !== "population" && std !== "sample") {
    throw new ActpatError("parse --std", `"${std}" is not population or sample`);
  }
  const config = defaultPruneConfig({
    method,
    allocation,
    sparsity: numberIn("sparsity", values.sparsity, 0, 1)!,
    pattern: values["sparsity-type"]!,
    calibration: parseCalibration(values.calibration!),
    nsamples: positiveInt("nsamples", values.nsamples)!,
    seqLen: positiveInt("seq-len", values["seq-len"]) ?? null,
    seed: nonNegativeInt("seed", values.seed)!,
    batchSize: positiveInt("batch-size", values["batch-size"])!,
    activation: {
      alpha: numberIn("alpha", values.alpha, -1e6, 1e6)!,
      beta: numberIn("beta", values.beta, 0, 1e6)!,
      std,
      densityFrom: values["density-from"] ?? null,
      densityDataset: values["density-dataset"] ?? null,
      gamma: values.gamma!,
      samples: positiveInt("density-samples", values["density-samples"])!,
      maxLen: positiveInt("density-max-len", values["density-max-len"])!,
    },
    owl: {
      lambda: numberIn("lambda", values.lambda, 0, 1)!,
      M: numberIn("owl-m", values["owl-m"], 0, 1e6)!,
    },
  });
  await runPrune({
    model,
    tokenizer: values.tokenizer,
    config,
    save: values.save,
    engine: engineOptions(values),
    out: values.out,
    argv: Deno.args,
  });
});
