import { ActpatError } from "../util/errors.ts";
import { paperDatasetDraw, type PaperDraw, type PaperSource, shuffledRows } from "./paper_draws.ts";
import { PythonRandom } from "./python_random.ts";
import { DATASETS } from "./registry.ts";
import { drawWindowStarts } from "./wanda_draws.ts";

/**
 * The examples each script of the paper's code used
 * (Qian2333/Exploring-Activation-Patterns-of-Parameters-in-Language-Models @93503116): the script's
 * `setup_seed(args.seed)` (lib/util/toolbag.py:264-268, which calls `random.seed`), then its loaders in call
 * order on the one global generator. Nothing else in those scripts draws from Python's `random` (model and
 * tokenizer loading, `Logger` and the gradient code do not).
 */

/** A dataset as a script loads it: its name in `get_dataset` and what its loader draws over. */
export interface PaperInput {
  name: string;
  source: PaperSource;
}

/** The datasets of the density figure, in the order distribution_draw.py:67 loads them. */
export const PAPER_DENSITY_DATASETS = ["boolq", "humaneval", "mmlu", "siqa", "hellaswag"] as const;

/**
 * The density figure's examples (distribution_draw.py:51, 67-69: `setup_seed(args.seed)` with `--seed` 1,
 * then `get_dataset(name, nsample=args.times, shot=3)` per dataset, `--times` 64): the row ids of each
 * dataset's split (validation; test for humaneval, whose rows are HumanEval.jsonl's task order).
 * `rows` gives each split's row count.
 */
export function paperDensityRows(
  rows: Readonly<Record<(typeof PAPER_DENSITY_DATASETS)[number], number>>,
  options: { times?: number; seed?: number } = {},
): Record<(typeof PAPER_DENSITY_DATASETS)[number], number[]> {
  const rng = new PythonRandom(options.seed ?? 1);
  const times = options.times ?? 64;
  const out = {} as Record<(typeof PAPER_DENSITY_DATASETS)[number], number[]>;
  for (const name of PAPER_DENSITY_DATASETS) out[name] = shuffledRows(rng, rows[name], times);
  return out;
}

/**
 * The similarity experiment's two example lists (llm_test_grad.py:72, 90, 94: `setup_seed(args.seed)` with
 * `--seed` 1, then `get_dataset(s1, nsample=args.times, shot=0)` and `get_dataset(s2, nsample=args.times,
 * shot=3)`, `--times` 64): pair i is `first[i]` with `second[i]`. With s1 = s2 the two lists differ, as the
 * second shuffle continues the first.
 */
export function paperSimilarityDraws(
  first: PaperInput,
  second: PaperInput,
  options: { times?: number; seed?: number } = {},
): { first: PaperDraw; second: PaperDraw } {
  const rng = new PythonRandom(options.seed ?? 1);
  const nsample = options.times ?? 64;
  return {
    first: paperDatasetDraw(rng, { ...first, nsample }),
    second: paperDatasetDraw(rng, { ...second, nsample }),
  };
}

/**
 * The STS pairs (llama_sts.py:55, 71: `setup_seed(args.seed)` with `--seed` 1, then `get_dataset(args.s,
 * nsample=args.times)`, `--times` 256): STS-B's first 256 validation rows; SICK's first 256 of a shuffle of
 * its validation rows (lib/dataset/stsb.py:34-39). `rows`: the validation split's row count.
 */
export function paperStsRows(
  name: "stsb" | "sick",
  rows: number,
  options: { times?: number; seed?: number } = {},
): number[] {
  const draw = paperDatasetDraw(new PythonRandom(options.seed ?? 1), {
    name,
    nsample: options.times ?? 256,
    source: { rows },
  });
  if (draw.kind !== "rows") {
    throw new ActpatError(`draw the STS pairs of ${name}`, "it is not a pair dataset");
  }
  return draw.ids;
}

/**
 * The tasks of the zero-shot evaluation, in the order `eval_one_shot` draws them (lib/dataset/__init__.py:
 * 120-131: its `if` blocks run boolq, mmlu, piqa, siqa, hellaswag, whatever the order of wanda_test.py's list).
 */
export const PAPER_ZERO_SHOT_TASKS = ["boolq", "mmlu", "piqa", "siqa", "hellaswag"] as const;

/** Options of {@link paperZeroShotRows}. */
export interface ZeroShotDrawOptions {
  /**
   * Tokens of WikiText-2's train split joined with " " under the model's tokenizer (BOS included), as
   * `tokenizer(" ".join(traindata['text']))` counts them: the perplexity step draws 128 train windows over
   * them, and their count decides how many words those draws take.
   */
  wikitextTrainTokens: number;
  /** `model.seqlen`: the model's `max_position_embeddings` (2048 for Qwen-7B, wanda_test.py:30). */
  seqLen: number;
  /** Examples per task (`nsample=256`). */
  nsample?: number;
}

/**
 * The zero-shot evaluation's examples (wanda_test.py:128, 139-140), whatever `--seed` and pruning drew
 * before: `eval_ppl` calls `get_loaders("wikitext2", seed=0, seqlen=model.seqlen)` (lib/util/eval.py:22-24),
 * which reseeds with 0 and draws 128 unused train windows (lib/dataset/wikic4.py:31-35); then
 * `eval_one_shot` loads each task's validation split, in {@link PAPER_ZERO_SHOT_TASKS} order, with
 * `label=True, nsample=256`
 * (lib/dataset/__init__.py:120-131): a shuffle's first 256 rows, except BoolQ, whose `label=True` loop
 * reads rows 0..255 although it draws the shuffle (`for i in tqdm(range(len(i_tos)))`, lib/dataset/
 * boolq.py:39-48). `rows`: each validation split's row count (MMLU: `cais/mmlu` all/validation).
 */
export function paperZeroShotRows(
  rows: Readonly<Record<(typeof PAPER_ZERO_SHOT_TASKS)[number], number>>,
  options: ZeroShotDrawOptions,
): Record<(typeof PAPER_ZERO_SHOT_TASKS)[number], number[]> {
  const rng = new PythonRandom(0);
  drawWindowStarts(rng, { tokenCount: options.wikitextTrainTokens, nsamples: 128, seqLen: options.seqLen });
  const nsample = options.nsample ?? 256;
  const out = {} as Record<(typeof PAPER_ZERO_SHOT_TASKS)[number], number[]>;
  for (const name of PAPER_ZERO_SHOT_TASKS) {
    const ids = shuffledRows(rng, rows[name], nsample);
    out[name] = DATASETS.get(name).paper?.eval?.readsFirstRows ? ids.map((_, i) => i) : ids;
  }
  return out;
}

/**
 * The rows a task calibration set starts from (wanda_test.py:70 `setup_seed(args.seed)`, `--seed` 0, then
 * `get_loaders(args.jz_set, nsamples=args.nsamples)` in prune_wanda / prune_wanda_pro, lib/util/prune_ori.py:
 * 284-290, 365-371, reaching `get_<task>_calibration(nsample=nsamples)`, lib/dataset/__init__.py:109-118):
 * the first `nsamples` of a shuffle of the train split's rows (MMLU: `auxiliary_train`). The fill prompts
 * are rows nsamples, nsamples + 1, ... and draw nothing. For `c4` and `wikitext2`, `get_loaders` reseeds:
 * use wandaC4Windows / wandaWikitextStarts.
 */
export function paperCalibrationRows(
  rows: number,
  options: { nsamples?: number; seed?: number } = {},
): number[] {
  return shuffledRows(new PythonRandom(options.seed ?? 0), rows, options.nsamples ?? 128);
}
