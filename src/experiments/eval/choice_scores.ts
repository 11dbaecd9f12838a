/**
 * Multiple-choice accuracy, two ways:
 *
 * - lm-evaluation-harness (`lm_eval/api/task.py`, `ConfigurableTask.process_results`, multiple_choice):
 *   pred = argmax(lls), pred_norm = argmax(lls / completion_len) with completion_len = len(choice) in
 *   characters of the choice string as `doc_to_choice` returns it (without the " " target delimiter);
 *   acc, acc_norm ∈ {0, 1} per item, aggregated by `mean` with `mean_stderr` (sample std / sqrt(n)).
 * - the paper's last-token scoring (Qian2333/… `lib/dataset/boolq.py` `eval_boolq`, likewise piqa, siqa, …):
 *   one forward pass of the prompt; at the last prompt position compare the logits of each choice's token
 *   (`tokenizer(choice).input_ids[-1]`, i.e. the choice's single token for its "yes"/"no", "0"/"1", "A".."D"
 *   choices) and take the argmax.
 *
 * argmax follows numpy/torch: the first maximum wins ties.
 */

import { ActpatError } from "../../util/errors.ts";
import { mean, meanStderr } from "../stats/summary.ts";

/** One scored item in lm-eval form. */
export interface ChoiceItem {
  /** Summed log-likelihood of each continuation (" " + choice) given the context. */
  logLikelihoods: readonly number[];
  /** The choice strings (as `doc_to_choice` returns them, no leading delimiter); used for acc_norm. */
  choices: readonly string[];
  /** Index of the correct choice. */
  gold: number;
}

/** Per-item outcome. */
export interface ItemScore {
  pred: number;
  predNorm: number;
  acc: 0 | 1;
  accNorm: 0 | 1;
}

/** A metric over n items with lm-eval's standard error (NaN when n < 2). */
export interface MetricSummary {
  value: number;
  stderr: number;
  n: number;
}

/** Index of the first maximum (np.argmax); throws on NaN, which means a broken log-likelihood upstream. */
export function argmaxFirst(values: ArrayLike<number>, what = "scores"): number {
  if (values.length === 0) throw new ActpatError("score multiple choice", `${what} is empty`);
  let best = 0;
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i])) throw new ActpatError("score multiple choice", `${what}[${i}] is NaN`);
    if (values[i] > values[best]) best = i;
  }
  return best;
}

/** Python's len(str): Unicode code points, not UTF-16 code units (JS `.length`). */
export function pythonLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function checkGold(gold: number, choices: number, where: string): void {
  if (!Number.isInteger(gold) || gold < 0 || gold >= choices) {
    throw new ActpatError(
      "score multiple choice",
      `${where}: gold index ${gold} is not one of ${choices} choices`,
    );
  }
}

/** acc and acc_norm of one item, as lm-eval computes them. */
export function scoreChoiceItem(item: ChoiceItem, where = "item"): ItemScore {
  const { logLikelihoods: lls, choices, gold } = item;
  if (lls.length !== choices.length) {
    throw new ActpatError(
      "score multiple choice",
      `${where}: ${lls.length} log-likelihoods for ${choices.length} choices`,
    );
  }
  checkGold(gold, choices.length, where);
  const normed = lls.map((ll, i) => {
    const len = pythonLength(choices[i]);
    if (len === 0) throw new ActpatError("score multiple choice", `${where}: choice ${i} is an empty string`);
    return ll / len;
  });
  const pred = argmaxFirst(lls, `${where} log-likelihoods`);
  const predNorm = argmaxFirst(normed, `${where} normalised log-likelihoods`);
  return { pred, predNorm, acc: pred === gold ? 1 : 0, accNorm: predNorm === gold ? 1 : 0 };
}

/** Mean of per-item 0/1 outcomes with lm-eval's `mean_stderr`. */
export function summarise(values: readonly number[]): MetricSummary {
  return { value: mean(values), stderr: meanStderr(values), n: values.length };
}

/** acc and acc_norm of a task (lm-eval conventions). */
export function scoreMultipleChoice(
  items: readonly ChoiceItem[],
): { acc: MetricSummary; accNorm: MetricSummary } {
  if (items.length === 0) throw new ActpatError("score multiple choice", "no items");
  const scores = items.map((item, i) => scoreChoiceItem(item, `item ${i}`));
  return { acc: summarise(scores.map((s) => s.acc)), accNorm: summarise(scores.map((s) => s.accNorm)) };
}

/** One item for the paper's last-token scoring. */
export interface LastTokenItem {
  /** Logits (vocabulary-sized) at the last prompt position. */
  lastLogits: ArrayLike<number>;
  /** The token id standing for each choice (the paper: last id of `tokenizer(choice)`). */
  choiceTokenIds: readonly number[];
  gold: number;
}

/** The paper's prediction: argmax over choices of the last-position logit of the choice's token. */
export function lastTokenPrediction(
  lastLogits: ArrayLike<number>,
  choiceTokenIds: readonly number[],
  where = "item",
): number {
  const picked = choiceTokenIds.map((id) => {
    if (!Number.isInteger(id) || id < 0 || id >= lastLogits.length) {
      throw new ActpatError(
        "score multiple choice",
        `${where}: token id ${id} outside a vocabulary of ${lastLogits.length}`,
      );
    }
    return lastLogits[id];
  });
  return argmaxFirst(picked, `${where} choice logits`);
}

/** Accuracy of the paper's last-token scoring, with lm-eval's standard error for comparability. */
export function scoreLastToken(items: readonly LastTokenItem[]): MetricSummary {
  if (items.length === 0) throw new ActpatError("score multiple choice", "no items");
  return summarise(items.map((item, i) => {
    const where = `item ${i}`;
    checkGold(item.gold, item.choiceTokenIds.length, where);
    return lastTokenPrediction(item.lastLogits, item.choiceTokenIds, where) === item.gold ? 1 : 0;
  }));
}
