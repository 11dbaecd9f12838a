/**
 * `deno task transfer --model REF [--calibrations boolq,siqa,piqa,hellaswag,mmlu,c4,wikitext2]
 * [--tasks boolq,siqa,piqa,hellaswag,mmlu] ...`: prunes once per calibration set and evaluates each pruned model
 * on every task → transfer.csv, the calibration × task matrix (src/experiments/prune_eval/).
 */
import {
  ENGINE_USAGE,
  engineOptions,
  listFlag,
  MODEL_FLAGS,
  oneOf,
  overrideFlags,
  parseTaskArgs,
  required,
} from "./_cli.ts";
import {
  EVAL_FLAGS,
  evalConfigFrom,
  evalHelp,
  PRUNE_FLAGS,
  pruneConfigFrom,
  pruneHelp,
} from "./_prune_flags.ts";
import { ALLOCATIONS, parseCalibration, PRUNE_METHODS } from "../src/experiments/prune/mod.ts";
import { CHOICE_TASKS } from "../src/experiments/eval/mod.ts";
import { runTransfer } from "../src/experiments/prune_eval/mod.ts";
import { runMain } from "../src/util/errors.ts";

const DEFAULT_CALIBRATIONS = "boolq,siqa,piqa,hellaswag,mmlu,c4,wikitext2";

const USAGE =
  "usage: deno task transfer --model REF [--calibrations LIST] [--tasks LIST] [--method wanda|magnitude] " +
  "[--allocation uniform|activation-formula|paper-lists|owl] [--paper-list NAME] [--sparsity 0.5] [--nsamples 128] [--seq-len L] [--limit N] [--dense] " +
  `[--keep-models] [--out DIR] ${ENGINE_USAGE}`;

const HELP = `${USAGE}

  --calibrations    calibration sets, comma-separated NAME[:SPLIT] (default ${DEFAULT_CALIBRATIONS}); sets whose
                    data cannot be had are skipped with a line
  --method          wanda (default) or magnitude; --allocation uniform (default), activation-formula, paper-lists or owl
  --dense           also evaluate the dense model (calibration "dense")
  --keep-models     keep each pruned checkpoint under <run dir>/models/<calibration>
${pruneHelp(["calibration"])}
${evalHelp(CHOICE_TASKS)}
  --out             run directory (default results/runs/transfer-<time>); an existing transfer run there resumes`;

await runMain(async () => {
  const { values } = parseTaskArgs("transfer", USAGE, Deno.args, {
    ...MODEL_FLAGS,
    ...PRUNE_FLAGS,
    ...EVAL_FLAGS,
    calibrations: { type: "string", default: DEFAULT_CALIBRATIONS },
    method: { type: "string", default: "wanda" },
    allocation: { type: "string", default: "uniform" },
    dense: { type: "boolean", default: false },
    "keep-models": { type: "boolean", default: false },
    out: { type: "string" },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const method = oneOf("method", values.method, PRUNE_METHODS);
  const allocation = oneOf("allocation", values.allocation, ALLOCATIONS);
  const { dir } = await runTransfer({
    model: required("transfer", USAGE, "model", values.model),
    tokenizer: values.tokenizer,
    calibrations: (listFlag(values.calibrations) ?? []).map(parseCalibration),
    prune: pruneConfigFrom(values, { method, allocation }),
    eval: evalConfigFrom(values, CHOICE_TASKS),
    dense: values.dense,
    keepModels: values["keep-models"],
    engine: engineOptions(values),
    out: values.out,
    argv: Deno.args,
    ...overrideFlags(values),
  });
  console.log(`wrote ${dir}/transfer.csv, ${dir}/sparsity.csv`);
});
