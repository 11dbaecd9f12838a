/**
 * `deno task prune --model REF [--method wanda|magnitude] [--allocation uniform|activation-formula|paper-lists|owl]
 * [--sparsity 0.5] [--sparsity-type unstructured|2:4|4:8] [--calibration c4|wikitext2|TASK[:SPLIT]]
 * [--nsamples 128] [--seq-len L] [--save DIR] ...`: prunes the seven linears of every decoder layer and writes
 * a Hugging Face checkpoint with pruning.json and sparsity.csv (src/experiments/prune/).
 */
import {
  ENGINE_USAGE,
  engineOptions,
  MODEL_FLAGS,
  oneOf,
  overrideFlags,
  parseTaskArgs,
  required,
} from "./_cli.ts";
import { PRUNE_FLAGS, pruneConfigFrom, pruneHelp } from "./_prune_flags.ts";
import { ALLOCATIONS, PRUNE_METHODS, runPrune } from "../src/experiments/prune/mod.ts";
import { runMain } from "../src/util/errors.ts";

const USAGE =
  "usage: deno task prune --model REF [--method wanda|magnitude] [--allocation uniform|activation-formula|paper-lists|owl] " +
  "[--sparsity 0.5] [--sparsity-type unstructured|2:4|4:8] [--calibration NAME[:SPLIT]] [--nsamples 128] " +
  `[--seq-len L] [--seed 0] [--save DIR] [--out DIR] ${ENGINE_USAGE}`;

const HELP = `${USAGE}

  --method          wanda (|W|·sqrt(mean Σx²), per output row; default) or magnitude (|W|, per matrix)
  --allocation      per-layer sparsity: uniform (default), activation-formula (the paper's formula from
                    per-layer activated-parameter counts), paper-lists (the authors' hard-coded lists, what
                    their Table 1 ran) or owl (outlier-weighted layerwise sparsity)
${pruneHelp()}
  --save            checkpoint folder (default <run dir>/model); --out run directory`;

await runMain(async () => {
  const { values } = parseTaskArgs("prune", USAGE, Deno.args, {
    ...MODEL_FLAGS,
    ...PRUNE_FLAGS,
    method: { type: "string", default: "wanda" },
    allocation: { type: "string", default: "uniform" },
    save: { type: "string" },
    out: { type: "string" },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const model = required("prune", USAGE, "model", values.model);
  const method = oneOf("method", values.method, PRUNE_METHODS);
  const allocation = oneOf("allocation", values.allocation, ALLOCATIONS);
  await runPrune({
    model,
    tokenizer: values.tokenizer,
    config: pruneConfigFrom(values, { method, allocation }),
    save: values.save,
    engine: engineOptions(values),
    out: values.out,
    argv: Deno.args,
    ...overrideFlags(values),
  });
});
