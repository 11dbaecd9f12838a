/**
 * Multiple-choice accuracy of a task, two ways (src/experiments/eval/choice_scores.ts):
 *
 * - `lm-eval`: lm-evaluation-harness requests (src/data `multipleChoiceRequest`: its templates, " " + choice
 *   continuations, few-shot from the task's fewshot split) scored by summed log-likelihood → acc, and acc_norm
 *   (by the choice's character length) where the task's YAML lists it, with mean_stderr; the first `limit` rows
 *   of the split (lm-eval's `--limit`), or all of them;
 * - `paper`: the paper's prompt (paper_protocol.ts: BOS first, MMLU after its five auxiliary_train shots) and its
 *   last-token comparison of the choice tokens' logits (Qian2333/… lib/dataset/<task>.py `eval_<task>`,
 *   `tokenizer(choice).input_ids[-1]` of the dataset file's `paper.eval.choices`), on the rows the paper's
 *   draws give (`ids`), the first `limit` of them when given.
 */
import { type DatasetHandle, multipleChoiceRequest } from "../../data/mod.ts";
import type { LlamaRunner } from "../../model/llama/mod.ts";
import type { Tokenizer } from "../../model/tokenizer.ts";
import { type DatasetRecord, datasetRecord } from "../../results/manifest.ts";
import { ActpatError } from "../../util/errors.ts";
import { progress } from "../../util/progress.ts";
import {
  type BatchLimits,
  type EncodedPair,
  encodePair,
  lastLogitsBatched,
  loglikelihoods,
} from "./loglikelihood.ts";
import {
  type ChoiceItem,
  lastTokenPrediction,
  type MetricSummary,
  scoreChoiceItem,
  summarise,
} from "./choice_scores.ts";
import { paperEvalPrompt } from "./paper_protocol.ts";
import { taskShots } from "./tasks.ts";

/** Scoring conventions. */
export const SCORINGS = ["lm-eval", "paper"] as const;
export type Scoring = typeof SCORINGS[number];

/** One scored example. */
export interface ItemResult {
  id: number;
  gold: number;
  pred: number;
  /** lm-eval only: prediction by length-normalised log-likelihood. */
  predNorm: number | null;
}

/** Accuracy of a task with its per-example outcomes. */
export interface MultipleChoiceResult {
  acc: MetricSummary;
  /** lm-eval, where the task defines acc_norm. */
  accNorm: MetricSummary | null;
  /** Few-shot examples in each prompt. */
  shots: number;
  items: ItemResult[];
  /** The evaluated split with the rows scored, then any split the few-shot prefix came from. */
  records: DatasetRecord[];
}

/** Options of {@link multipleChoiceAccuracy}. */
export interface MultipleChoiceOptions extends BatchLimits {
  scoring: Scoring;
  /** Few-shot examples; null: the protocol's (lm-eval 0; paper: the task's own prefix, MMLU 5, else 0). */
  shots: number | null;
  /** Rows to score, in order, and the draw that chose them (the paper's); default: the split from row 0. */
  rows?: { ids: readonly number[]; after: string[] };
  limit?: number;
  /** lm-eval: prepend BOS to contexts (lm-eval's `add_bos_token`, default false). */
  addBos?: boolean;
  /** lm-eval `max_length`: inputs are cut on the left to this many tokens. */
  maxLength: number;
  quiet?: boolean;
}

/** Accuracy of `split` of a multiple-choice dataset. */
export async function multipleChoiceAccuracy(
  runner: LlamaRunner,
  tokenizer: Pick<Tokenizer, "encode">,
  dataset: DatasetHandle,
  split: string,
  options: MultipleChoiceOptions,
): Promise<MultipleChoiceResult> {
  const spec = dataset.spec;
  if (spec.kind !== "multiple-choice") {
    throw new ActpatError(`score "${spec.name}" as multiple choice`, `it is a ${spec.kind} dataset`);
  }
  const loaded = await dataset.split(split);
  const rows = options.rows?.ids ?? Array.from({ length: loaded.docs.length }, (_, i) => i);
  const ids = rows.slice(0, Math.min(options.limit ?? Infinity, rows.length));
  const examples = await Promise.all(ids.map((id) => dataset.example(split, id)));
  const record = datasetRecord(loaded, {
    examples: options.rows
      ? { seed: 0, ids, generator: "python-random", after: options.rows.after }
      : { seed: null, ids },
  });
  if (options.scoring === "paper") {
    const protocol = spec.paper?.eval;
    if (!protocol) {
      throw new ActpatError(
        `score "${spec.name}" the paper's way`,
        "the paper gives no choice tokens for it",
      );
    }
    const shots = taskShots(spec.name, "paper", options.shots);
    const prefix = protocol.shots;
    const records = [record];
    if (prefix && shots > 0) {
      const shotIds = Array.from({ length: shots }, (_, i) => i);
      records.push(datasetRecord(await dataset.split(prefix.split), {
        examples: { seed: null, ids: shotIds, generator: "first-rows" },
      }));
    }
    const choiceIds = protocol.choices.map((c) => tokenizer.encode(c, { addBos: true }).at(-1)!);
    const prompts = await Promise.all(
      examples.map(async (e) => tokenizer.encode(await paperEvalPrompt(dataset, e, shots), { addBos: true })),
    );
    const bar = progress(`${spec.name} (paper scoring)`, prompts.length, {
      unit: "examples",
      quiet: options.quiet,
    });
    const last = await lastLogitsBatched(runner, prompts, { ...options, progress: bar });
    bar.done();
    const items = examples.map((e, i) => {
      const gold = spec.task.docToTarget(e.doc);
      return {
        id: e.id,
        gold,
        pred: lastTokenPrediction(last[i], choiceIds, `${spec.name} example ${e.id}`),
        predNorm: null,
      };
    });
    const acc = summarise(items.map((it) => it.pred === it.gold ? 1 : 0));
    return { acc, accNorm: null, shots, items, records };
  }
  const shots = taskShots(spec.name, "lm-eval", options.shots);
  const requests = await Promise.all(
    examples.map((e) => multipleChoiceRequest(dataset, e, { shots })),
  );
  const pairs: EncodedPair[] = [];
  for (const r of requests) {
    for (const c of r.continuations) {
      pairs.push(encodePair(tokenizer, r.context, c, { addBos: options.addBos }));
    }
  }
  const bar = progress(`${spec.name} (lm-eval)`, pairs.length, { unit: "requests", quiet: options.quiet });
  const lls = await loglikelihoods(runner, pairs, { ...options, progress: bar });
  bar.done();
  let k = 0;
  const items: ItemResult[] = [];
  const acc: number[] = [];
  const accNorm: number[] = [];
  requests.forEach((r, i) => {
    const item: ChoiceItem = {
      logLikelihoods: lls.slice(k, k + r.continuations.length),
      choices: spec.task.docToChoice(examples[i].doc),
      gold: r.target,
    };
    k += r.continuations.length;
    const s = scoreChoiceItem(item, `${spec.name} example ${r.id}`);
    items.push({ id: r.id, gold: r.target, pred: s.pred, predNorm: s.predNorm });
    acc.push(s.acc);
    accNorm.push(s.accNorm);
  });
  const withNorm = spec.task.metrics.includes("acc_norm");
  return {
    acc: summarise(acc),
    accNorm: withNorm ? summarise(accNorm) : null,
    shots,
    items,
    records: [record],
  };
}
