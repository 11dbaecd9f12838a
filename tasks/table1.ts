/**
 * `deno task table1 --model REF [--sparsity 0.5] [--calibration c4] [--tasks ...] [--limit N] ...`: dense,
 * magnitude, uniform Wanda, activation-allocated Wanda and OWL + Wanda, each evaluated on every task →
 * table1.csv and sparsity.csv (src/experiments/table1.ts).
 */
import {
  ENGINE_USAGE,
  engineOptions,
  listFlag,
  MODEL_FLAGS,
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
import { runTable1, TABLE1_VARIANTS } from "../src/experiments/prune_eval/mod.ts";
import { DEFAULT_EVAL_TASKS } from "../src/experiments/eval/mod.ts";
import { runMain } from "../src/util/errors.ts";

const USAGE =
  "usage: deno task table1 --model REF [--sparsity 0.5] [--calibration NAME[:SPLIT]] [--nsamples 128] " +
  "[--seq-len L] [--tasks LIST] [--limit N] [--variants LIST] [--keep-models] [--out DIR] " +
  ENGINE_USAGE;

const HELP = `${USAGE}

  --variants        subset of ${TABLE1_VARIANTS.map((v) => v.label).join(",")} (default all)
  --keep-models     keep each pruned checkpoint under <run dir>/models/<variant>
${pruneHelp()}
${evalHelp(DEFAULT_EVAL_TASKS)}
  --out             run directory (default results/runs/table1-<time>); an existing table1 run there resumes`;

await runMain(async () => {
  const { values } = parseTaskArgs("table1", USAGE, Deno.args, {
    ...MODEL_FLAGS,
    ...PRUNE_FLAGS,
    ...EVAL_FLAGS,
    variants: { type: "string" },
    "keep-models": { type: "boolean", default: false },
    out: { type: "string" },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const { dir } = await runTable1({
    model: required("table1", USAGE, "model", values.model),
    tokenizer: values.tokenizer,
    prune: pruneConfigFrom(values, { method: "wanda", allocation: "uniform" }),
    eval: evalConfigFrom(values, DEFAULT_EVAL_TASKS),
    variants: listFlag(values.variants),
    keepModels: values["keep-models"],
    engine: engineOptions(values),
    out: values.out,
    argv: Deno.args,
    ...overrideFlags(values),
  });
  console.log(`wrote ${dir}/table1.csv, ${dir}/sparsity.csv`);
});
