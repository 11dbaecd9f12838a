import { ActpatError } from "../util/errors.ts";
import type { SentencePair } from "./dataset_spec.ts";
import { GSM8K_DEMO_COUNT, gsm8kDemoText } from "./_gsm8k_demos.ts";
import type { DatasetHandle, Example } from "./load.ts";

/** Separator of the paper's multi-example prompts (`gen_prompt_nshot`, the `*_calibration` loaders). */
const SHOT_SEPARATOR = "\n###\n";

/** Options of {@link promptText}. */
export interface PromptOptions {
  /** Examples (or demos) prepended (default 0). */
  shots?: number;
  /** GSM8K: the order of its eight demos, as the example's draw shuffled them. */
  demoOrder?: readonly number[];
}

/**
 * The input text of `example` for the activation experiments, as the paper's code builds it
 * (Qian2333/Exploring-Activation-Patterns-of-Parameters-in-Language-Models, lib/dataset/*.py @93503116).
 * With `shots` > 0: GSM8K prepends that many of its eight chain-of-thought demos in `demoOrder`, the shuffle
 * the paper's `create_demo_text` draws per prompt (src/data/paper_draws.ts `demoOrders`); other datasets prepend the
 * first `shots` examples of their shot split (the subject's dev rows for MMLU; the example itself
 * excluded), each as prompt + gold answer + "\n###\n" like the paper's `gen_prompt_nshot`. Corpora give
 * the document text; sentence-pair datasets have two inputs: use {@link pairTexts}.
 */
export async function promptText(
  dataset: DatasetHandle,
  example: Example,
  options: PromptOptions = {},
): Promise<string> {
  const shots = options.shots ?? 0;
  const spec = dataset.spec;
  const action = `build the prompt of ${spec.name}/${example.split} example ${example.id}`;
  if (!Number.isInteger(shots) || shots < 0) {
    throw new ActpatError(action, `shots ${shots} is not an integer ≥ 0`);
  }
  if (spec.kind === "sentence-pair") {
    throw new ActpatError(action, "a sentence-pair dataset has two inputs (pairTexts)");
  }
  if (spec.kind === "perplexity-corpus") {
    if (shots > 0) throw new ActpatError(action, "a corpus has no few-shot form");
    return spec.text(example.doc);
  }
  const paper = spec.paper;
  if (!paper) throw new ActpatError(action, "the paper gives no prompt for this dataset");
  if (shots === 0) return paper.prompt(example.doc);
  if (spec.name === "gsm8k") {
    if (shots > GSM8K_DEMO_COUNT) {
      throw new ActpatError(action, `GSM8K has ${GSM8K_DEMO_COUNT} demos, not ${shots}`);
    }
    if (!options.demoOrder) {
      throw new ActpatError(action, "GSM8K's demos need the demo order its draw made (paperDatasetDraw)");
    }
    return gsm8kDemoText(shots, options.demoOrder) + paper.prompt(example.doc);
  }
  if (!paper.answer || !paper.shotSplit) throw new ActpatError(action, "this dataset has no few-shot form");
  const { docs } = await dataset.split(paper.shotSplit);
  const sameSplit = paper.shotSplit === example.split;
  let text = "";
  let used = 0;
  for (let i = 0; i < docs.length && used < shots; i++) {
    if (sameSplit && i === example.id) continue;
    if (paper.sameGroup && !paper.sameGroup(docs[i], example.doc)) continue;
    text += paper.prompt(docs[i]) + paper.answer(docs[i]) + SHOT_SEPARATOR;
    used++;
  }
  if (used < shots) throw new ActpatError(action, `only ${used} shots available in ${paper.shotSplit}`);
  return text + paper.prompt(example.doc);
}

/** The two inputs and the gold score of a sentence-pair example (STS-B, SICK; fed to the model one by one). */
export function pairTexts(dataset: DatasetHandle, example: Example): SentencePair {
  const spec = dataset.spec;
  if (spec.kind !== "sentence-pair") {
    throw new ActpatError(`read the sentence pair of ${spec.name}`, `it is a ${spec.kind} dataset`);
  }
  return spec.pair(example.doc);
}
