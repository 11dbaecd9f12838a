/**
 * The settings of table1 and transfer that a configuration fixes (the reproduce config's `table1` and
 * `transfer` sections): the prune and eval settings that differ from their defaults.
 */
import { z } from "zod";
import { Gamma } from "../density/gamma.ts";
import { SCORINGS } from "../eval/multiple_choice.ts";
import { ALLOCATIONS } from "../prune/prune.ts";
import { PAPER_LIST_MODELS } from "../prune/paper_lists.ts";

/** The authors' list a config names (paper_lists.ts); null: the one the model reference names, if any. */
const paperList = z.enum(PAPER_LIST_MODELS).nullable().default(null).describe(
  "the authors' per-layer sparsity list (lib/util/prune_ori.py) for allocation paper-lists; null: from the model name",
);

const prune = {
  sparsity: z.number().gt(0).lt(1),
  nsamples: z.number().int().positive(),
  seqLen: z.number().int().positive().describe("calibration and perplexity window length"),
  tasks: z.array(z.string()).min(1),
  limit: z.number().int().positive().nullable(),
  scoring: z.enum(SCORINGS).default("lm-eval").describe(
    "lm-eval: its templates and log-likelihoods on its splits; paper: the authors' eval_one_shot (256 drawn " +
      "validation rows, last-token choice, MMLU 5-shot)",
  ),
};

/** Schema of the table1 settings. */
export const Table1Settings = z.strictObject({
  ...prune,
  calibration: z.string().describe("NAME or NAME:SPLIT"),
  gamma: Gamma.describe("γ of the activation allocation's counts"),
  paperList,
  alpha: z.number().default(2).describe("α of the activation-formula row (the paper's text: 2)"),
  beta: z.number().nonnegative().default(0.2).describe(
    "β of the activation-formula row (the paper's text: 0.2)",
  ),
});
export type Table1Settings = z.infer<typeof Table1Settings>;

/** Schema of the transfer settings. */
export const TransferSettings = z.strictObject({
  ...prune,
  calibrations: z.array(z.string()).min(1),
  allocation: z.enum(ALLOCATIONS).default("uniform").describe(
    "layer allocation of every pruned model (the paper's Table 2: its Wanda (ours), i.e. paper-lists)",
  ),
  paperList,
});
export type TransferSettings = z.infer<typeof TransferSettings>;
