import { ActpatError } from "../util/errors.ts";
import type { Doc, MultipleChoiceTask } from "./dataset_spec.ts";
import type { DatasetHandle, Example } from "./load.ts";

/** What the model scores for one multiple-choice example (lm-eval `loglikelihood` requests). */
export interface MultipleChoiceRequest {
  dataset: string;
  split: string;
  id: number;
  /** description + few-shot block + docToText(doc). */
  context: string;
  /** `" " + choice` for every choice (lm-eval's target_delimiter " "). */
  continuations: string[];
  target: number;
  /** Positions in the few-shot split of the examples used, in order. */
  fewshotIds: number[];
}

/** lm-eval's defaults: target_delimiter and fewshot_delimiter (lm_eval/api/task.py TaskConfig). */
const TARGET_DELIMITER = " ";
const FEWSHOT_DELIMITER = "\n\n";

/**
 * Builds the request of `example` exactly as lm-evaluation-harness does (lm_eval/api/task.py
 * `fewshot_context`, lm_eval/api/samplers.py `get_context` @00048838): context = description +
 * Σ(docToText(shot) + " " + gold choice + "\n\n") + docToText(doc); continuations " " + choice. Few-shot
 * examples come from the task's `fewshot_split` with the `first_n` sampler (MMLU: the subject's dev split);
 * tasks whose harness config samples shots at random (BoolQ, PIQA, SIQA, HellaSwag) support 0 shots only.
 */
export async function multipleChoiceRequest(
  dataset: DatasetHandle,
  example: Example,
  options: { shots?: number } = {},
): Promise<MultipleChoiceRequest> {
  const spec = dataset.spec;
  if (spec.kind !== "multiple-choice") {
    throw new ActpatError(
      `build a multiple-choice request for "${spec.name}"`,
      `it is a ${spec.kind} dataset`,
    );
  }
  const task: MultipleChoiceTask<Doc> = spec.task;
  const shots = options.shots ?? 0;
  const doc = example.doc;
  const fewshotIds: number[] = [];
  let context = task.description?.(doc) ?? "";
  if (shots > 0) {
    if (!task.fewshot) {
      throw new ActpatError(
        `build a ${shots}-shot request for "${spec.name}"`,
        "lm-eval samples its few-shot examples at random from the training split; only --shots 0 is supported",
      );
    }
    const { docs } = await dataset.split(task.fewshot.split);
    const sameSplit = task.fewshot.split === example.split;
    for (let i = 0; i < docs.length && fewshotIds.length < shots; i++) {
      if (sameSplit && i === example.id) continue;
      if (task.fewshot.sameGroup && !task.fewshot.sameGroup(docs[i], doc)) continue;
      fewshotIds.push(i);
    }
    if (fewshotIds.length < shots) {
      throw new ActpatError(
        `build a ${shots}-shot request for "${spec.name}"`,
        `the ${task.fewshot.split} split has only ${fewshotIds.length} few-shot examples for this example`,
      );
    }
    for (const i of fewshotIds) {
      const shot = docs[i];
      context += task.docToText(shot) + TARGET_DELIMITER + task.docToChoice(shot)[task.docToTarget(shot)] +
        FEWSHOT_DELIMITER;
    }
  }
  context += task.docToText(doc);
  return {
    dataset: spec.name,
    split: example.split,
    id: example.id,
    context,
    continuations: task.docToChoice(doc).map((c) => TARGET_DELIMITER + c),
    target: task.docToTarget(doc),
    fewshotIds,
  };
}
