/**
 * `deno task eval --model REF [--tasks wikitext2,boolq,siqa,piqa,hellaswag,mmlu] [--limit N] [--shots K]
 * [--scoring lm-eval|paper] [--seq-len L] ...`: WikiText-2 perplexity and multiple-choice accuracy with
 * lm-evaluation-harness conventions (or the paper's last-token scoring); writes eval.csv and eval_items.csv
 * (src/experiments/eval/). Tasks whose data cannot be had are skipped with a line.
 */
import {
  ENGINE_USAGE,
  engineOptions,
  listFlag,
  MODEL_FLAGS,
  nonNegativeInt,
  oneOf,
  overrideFlags,
  parseTaskArgs,
  positiveInt,
  required,
} from "./_cli.ts";
import { DEFAULT_EVAL_TASKS, defaultEvalConfig, runEval, SCORINGS } from "../src/experiments/eval/mod.ts";
import { runMain } from "../src/util/errors.ts";

const USAGE =
  "usage: deno task eval --model REF [--tasks LIST] [--limit N] [--shots K] [--scoring lm-eval|paper] " +
  "[--seq-len L] [--add-bos] [--max-length N] [--batch-size 16] [--batch-tokens 8192] [--out DIR] " +
  ENGINE_USAGE;

const HELP = `${USAGE}

  --tasks         comma-separated (default ${
  DEFAULT_EVAL_TASKS.join(",")
}): wikitext2 is perplexity on the test
                  split (Wanda's windows of --seq-len tokens), the others multiple-choice accuracy on the split of
                  the scoring (lm-eval: validation, MMLU test; paper: validation)
  --limit         first N examples of each task (windows for perplexity); default all (paper: its 256 draws)
  --shots         few-shot examples (default: lm-eval 0; paper: MMLU's five auxiliary_train rows, others 0)
  --scoring       lm-eval (default: lm-eval's templates, summed log-likelihood of " " + choice, acc, and
                  acc_norm where lm-eval defines it) or paper (the authors' protocol: 256 validation rows drawn
                  with Python's random as eval_one_shot, last-token logits of the answer tokens after the
                  paper's prompt; needs WikiText-2 train, whose tokens the draws follow)
  --seq-len       perplexity window length (default: the model's max_position_embeddings)
  --add-bos       prepend BOS to lm-eval contexts (lm-eval's add_bos_token; off by default, as lm-eval)
  --max-length    lm-eval max_length: longer inputs are cut on the left (default max_position_embeddings)
  --batch-size    sequences per engine call (default 16); --batch-tokens padded tokens per call (default 8192)`;

await runMain(async () => {
  const { values } = parseTaskArgs("eval", USAGE, Deno.args, {
    ...MODEL_FLAGS,
    tasks: { type: "string", default: DEFAULT_EVAL_TASKS.join(",") },
    limit: { type: "string" },
    shots: { type: "string" },
    scoring: { type: "string", default: "lm-eval" },
    "seq-len": { type: "string" },
    "add-bos": { type: "boolean", default: false },
    "max-length": { type: "string" },
    "batch-size": { type: "string", default: "16" },
    "batch-tokens": { type: "string", default: "8192" },
    out: { type: "string" },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const model = required("eval", USAGE, "model", values.model);
  const scoring = oneOf("scoring", values.scoring, SCORINGS);
  const { dir } = await runEval({
    model,
    tokenizer: values.tokenizer,
    config: defaultEvalConfig({
      tasks: listFlag(values.tasks) ?? [],
      limit: positiveInt("limit", values.limit) ?? null,
      shots: nonNegativeInt("shots", values.shots) ?? null,
      scoring,
      seqLen: positiveInt("seq-len", values["seq-len"]) ?? null,
      addBos: values["add-bos"]!,
      maxLength: positiveInt("max-length", values["max-length"]) ?? null,
      batchSize: positiveInt("batch-size", values["batch-size"])!,
      batchTokens: positiveInt("batch-tokens", values["batch-tokens"])!,
    }),
    engine: engineOptions(values),
    out: values.out,
    argv: Deno.args,
    ...overrideFlags(values),
  });
  console.log(`wrote ${dir}/eval.csv, ${dir}/eval_items.csv`);
});
