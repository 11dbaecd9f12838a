/**
 * The settings of an evaluation (`deno task eval`, and the evaluation half of table1 and transfer): one zod
 * schema, read by the tasks' flags (tasks/_schema_flags.ts) and giving {@link defaultEvalConfig}'s defaults.
 */
import { z } from "zod";
import { SCORINGS } from "./multiple_choice.ts";
import { DEFAULT_EVAL_TASKS } from "./tasks.ts";

/** Schema of the evaluation settings. */
export const EvalSettings = z.strictObject({
  tasks: z.array(z.string()).min(1).default([...DEFAULT_EVAL_TASKS]).describe(
    "tasks, comma-separated: wikitext2 (perplexity on test), boolq, siqa, piqa, hellaswag, mmlu",
  ),
  limit: z.number().int().positive().nullable().default(null).describe(
    "first N examples of each task (windows for perplexity; paper: of its 256 draws); default all",
  ),
  shots: z.number().int().nonnegative().nullable().default(null).describe(
    "few-shot examples; default lm-eval 0, paper MMLU's five auxiliary_train rows and 0 elsewhere",
  ),
  scoring: z.enum(SCORINGS).default("lm-eval").describe(
    "lm-eval (its templates, summed log-likelihood, acc and its acc_norm) or paper (the authors' 256 drawn " +
      "validation rows, last-token choice)",
  ),
  seqLen: z.number().int().positive().nullable().default(null).describe(
    "perplexity window length (and the paper draws' model.seqlen); default max_position_embeddings",
  ),
  addBos: z.boolean().default(false).describe("prepend BOS to lm-eval contexts (lm-eval's add_bos_token)"),
  maxLength: z.number().int().positive().nullable().default(null).describe(
    "lm-eval max_length: longer inputs are cut on the left; default max_position_embeddings",
  ),
  batchSize: z.number().int().positive().default(16).describe("sequences per engine call"),
  batchTokens: z.number().int().positive().default(8192).describe("padded tokens per engine call"),
});
export type EvalSettings = z.infer<typeof EvalSettings>;
