/**
 * Multiple-choice accuracy of a task, two ways (src/experiments/eval/choice_scores.ts):
 *
 * - `lm-eval`: lm-evaluation-harness requests (src/data `multipleChoiceRequest`: its templates, " " + choice
 *   continuations, few-shot from the task's fewshot split) scored by summed log-likelihood → acc and acc_norm
 *   (by the choice's character length), with mean_stderr;
 * - `paper`: the paper's prompt (src/data `promptText`, BOS first) and its last-token comparison of the
 *   choice tokens' logits (Qian2333/… lib/dataset/<task>.py `eval_<task>`, `tokenizer(choice).input_ids[-1]`).
 *
 * Examples are the first `limit` rows of the split (lm-eval's `--limit`), or all of them.
 */
import { type DatasetHandle, multipleChoiceRequest, promptText } from "../../data/mod.ts";
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

/** Scoring conventions. */
export const SCORINGS = ["lm-eval", "paper"] as const;
export type Scoring = typeof SCORINGS[number];

/** The paper's choice strings per task (`choices` in lib/dataset/<task>.py); index = lm-eval's target. */
export const PAPER_CHOICES: Record<string, readonly string[]> = {
  boolq: ["no", "yes"],
  piqa: ["0", "1"],
  siqa: ["A", "B", "C"],
  hellaswag: ["A", "B", "C", "D"],
  mmlu: ["A", "B", "C", "D"],
};

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
  /** lm-eval only. */
  accNorm: MetricSummary | null;
  items: ItemResult[];
  record: DatasetRecord;
}

/** Options of {@link multipleChoiceAccuracy}. */
export interface MultipleChoiceOptions extends BatchLimits {
  scoring: Scoring;
  shots: number;
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
  const n = Math.min(options.limit ?? Infinity, loaded.docs.length);
  const ids = Array.from({ length: n }, (_, i) => i);
  const examples = await Promise.all(ids.map((id) => dataset.example(split, id)));
  const record = datasetRecord(loaded, { examples: { seed: null, ids } });

  if (options.scoring === "paper") {
    const choices = PAPER_CHOICES[spec.name];
    if (!choices) {
      throw new ActpatError(
        `score "${spec.name}" the paper's way`,
        "the paper gives no choice tokens for it",
      );
    }
    const choiceIds = choices.map((c) => tokenizer.encode(c, { addBos: true }).at(-1)!);
    const prompts = await Promise.all(
      examples.map(async (e) =>
        tokenizer.encode(await promptText(dataset, e, { shots: options.shots }), { addBos: true })
      ),
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
    return { acc: summarise(items.map((it) => it.pred === it.gold ? 1 : 0)), accNorm: null, items, record };
  }

  const requests = await Promise.all(
    examples.map((e) => multipleChoiceRequest(dataset, e, { shots: options.shots })),
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
  return { acc: summarise(acc), accNorm: summarise(accNorm), items, record };
}
