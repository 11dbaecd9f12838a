/**
 * `deno task eval --model REF [--tasks wikitext2,boolq,siqa,piqa,hellaswag,mmlu] [--limit N] [--shots K]
 * [--scoring lm-eval|paper] [--seq-len L] ...`: WikiText-2 perplexity and multiple-choice accuracy with
 * lm-evaluation-harness conventions (or the paper's last-token scoring); writes eval.csv and eval_items.csv
 * (src/experiments/eval/). Tasks whose data cannot be had are skipped with a line.
 */
import {
  ENGINE_USAGE,
  engineOptions,
  MODEL_FLAGS,
  overrideFlags,
  parseSplits,
  parseTaskArgs,
  required,
} from "./_cli.ts";
import { EvalSettings, runEval } from "../src/experiments/eval/mod.ts";
import { schemaFlags, schemaHelp, schemaValues } from "./_schema_flags.ts";
import { runMain } from "../src/util/errors.ts";

const USAGE =
  "usage: deno task eval --model REF [--tasks LIST] [--limit N] [--shots K] [--scoring lm-eval|paper] " +
  "[--seq-len L] [--add-bos] [--max-length N] [--batch-size 16] [--batch-tokens 8192] [--split NAME=SPLIT,...] " +
  "[--out DIR] " +
  ENGINE_USAGE;

const HELP = `${USAGE}

${schemaHelp(EvalSettings)}
  --split         the split scored per task instead of its declared one, e.g. wikitext2=test-first200
                  (the piece the repository embeds)
  --out           run directory (default results/runs/eval-<time>)`;

await runMain(async () => {
  const { values } = parseTaskArgs("eval", USAGE, Deno.args, {
    ...MODEL_FLAGS,
    ...schemaFlags(EvalSettings),
    split: { type: "string" },
    out: { type: "string" },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const model = required("eval", USAGE, "model", values.model);
  const { dir } = await runEval({
    model,
    tokenizer: values.tokenizer,
    config: {
      ...schemaValues(EvalSettings, values),
      ...(values.split === undefined ? {} : { splits: parseSplits(values.split) }),
    },
    engine: engineOptions(values),
    out: values.out,
    argv: Deno.args,
    ...overrideFlags(values),
  });
  console.log(`wrote ${dir}/eval.csv, ${dir}/eval_items.csv`);
});
