import { ActpatError } from "../util/errors.ts";
import type { PythonRandom } from "./python_random.ts";
import { type DocWindow, drawC4Windows, drawWindowStarts } from "./wanda_draws.ts";

/**
 * The draws of the paper's loaders (Qian2333/Exploring-Activation-Patterns-of-Parameters-in-Language-Models
 * @93503116, lib/dataset/*.py), each from the one global `random` the calling script seeded: a loader
 * continues the state the loader before it left, so which examples a script used depends on every draw
 * before (see paper_runs.ts for the scripts' seeds and call orders). Row ids index the split in the order the
 * reference's `load_dataset` gives it.
 */

/** The datasets of the paper's `get_dataset` (lib/dataset/__init__.py:75-99). */
export const PAPER_DATASETS = [
  "gsm8k",
  "humaneval",
  "boolq",
  "mmlu",
  "piqa",
  "siqa",
  "hellaswag",
  "c4",
  "wikitext2",
  "stsb",
  "sick",
] as const;

/** Window length of the paper's c4 and wikitext2 examples (`get_c4_nlabel(nsample, 0, 256, tokenizer)`). */
export const PAPER_CORPUS_SEQ_LEN = 256;

/** What a loader draws over: a split's row count, the C4 shard's documents, or a token stream's length. */
export type PaperSource =
  | { rows: number }
  | { docCount: number; tokenLength: (doc: number) => number }
  | { tokenCount: number };

/** What a loader drew: rows in use order, GSM8K rows with each one's demo order, C4 windows, or starts. */
export type PaperDraw =
  | { kind: "rows"; ids: number[] }
  | { kind: "gsm8k"; ids: number[]; demoOrders: number[][] }
  | { kind: "c4"; windows: DocWindow[] }
  | { kind: "wikitext2"; starts: number[] };

/**
 * The loaders' shared idiom: the first `nsample` of a shuffle of the row indices (all rows, shuffled, when
 * `nsample` ≥ rows):
 *
 * ```python
 * # lib/dataset/piqa.py:34-37 @93503116; the same in boolq.py, mmlu.py, siqa.py, hellaswag.py,
 * # gsm8k.py, stsb.py (get_sick), translation.py, the *_calibration loaders, and __init__.py:17-20
 * # (over HumanEval's task ids)
 * i_tos = [i for i in range(len(testset['goal']))]
 * if nsample:
 *     random.shuffle(i_tos)
 *     i_tos = i_tos[:nsample]
 * ```
 */
export function shuffledRows(rng: PythonRandom, rows: number, nsample: number): number[] {
  if (!Number.isSafeInteger(rows) || rows < 0) {
    throw new ActpatError("shuffle the row ids", `rows ${rows} is not an integer ≥ 0`);
  }
  if (!Number.isSafeInteger(nsample) || nsample < 1) {
    throw new ActpatError("shuffle the row ids", `nsample ${nsample} is not a positive integer`);
  }
  const ids = new Int32Array(rows);
  for (let i = 0; i < rows; i++) ids[i] = i;
  rng.shuffle(ids);
  return Array.from(ids.subarray(0, nsample));
}

/** Demonstrations in the paper's GSM8K prompt (`create_demo_text`). */
const GSM8K_DEMOS = 8;

/**
 * The paper's `get_gsm8k`: the shuffled rows, then, per row in use order, `gen_prompt` calls
 * `create_demo_text`, which shuffles the 8 demos again (the first `shot` of that order are the prompt's
 * demos; the shuffle is drawn for `shot` = 0 too):
 *
 * ```python
 * # lib/dataset/gsm8k.py:119-120 (create_demo_text), 151 (gen_prompt), 167-170, 184-187 @93503116
 * index_list = list(range(len(question)))
 * random.shuffle(index_list)
 * ...
 * i_tos = [i for i in range(len(testset['answer']))]
 * if nsample:
 *     random.shuffle(i_tos)
 *     i_tos = i_tos[:nsample]
 * for i in i_tos:
 *     test_set.append(tokenizer(gen_prompt(testset, i, shot=shot), return_tensors='pt').input_ids)
 * ```
 */
function gsm8kRows(
  rng: PythonRandom,
  rows: number,
  nsample: number,
): { ids: number[]; demoOrders: number[][] } {
  const ids = shuffledRows(rng, rows, nsample);
  const demoOrders = ids.map(() => {
    const order = Array.from({ length: GSM8K_DEMOS }, (_, i) => i);
    rng.shuffle(order);
    return order;
  });
  return { ids, demoOrders };
}

/** Options of {@link paperDatasetDraw}. */
export interface PaperDrawOptions {
  name: string;
  nsample: number;
  source: PaperSource;
}

/**
 * The draws of the paper's `get_dataset(name, tokenizer, nsample)` (lib/dataset/__init__.py:75-99),
 * continuing `rng`: the shuffled validation rows (test for gsm8k and humaneval) of the prompt datasets and
 * SICK; GSM8K with its demo orders; c4 and wikitext2 windows of 256 tokens (`get_c4_nlabel` and
 * `get_wikitext2_nlabel` draw without reseeding); STS-B's first `nsample` rows, drawing nothing
 * (lib/dataset/stsb.py:9-12 comments the shuffle out).
 */
export function paperDatasetDraw(rng: PythonRandom, options: PaperDrawOptions): PaperDraw {
  const { name, nsample, source } = options;
  if (!(PAPER_DATASETS as readonly string[]).includes(name)) {
    throw new ActpatError(
      `draw the paper's examples of "${name}"`,
      `get_dataset knows ${PAPER_DATASETS.join(", ")}`,
    );
  }
  const action = `draw the paper's examples of ${name}`;
  if (name === "c4") {
    if (!("docCount" in source)) throw new ActpatError(action, "the source needs docCount and tokenLength");
    const windows = drawC4Windows(rng, { ...source, nsamples: nsample, seqLen: PAPER_CORPUS_SEQ_LEN });
    return { kind: "c4", windows };
  }
  if (name === "wikitext2") {
    if (!("tokenCount" in source)) throw new ActpatError(action, "the source needs tokenCount");
    const starts = drawWindowStarts(rng, { ...source, nsamples: nsample, seqLen: PAPER_CORPUS_SEQ_LEN });
    return { kind: "wikitext2", starts };
  }
  if (!("rows" in source)) throw new ActpatError(action, "the source needs rows (the split's row count)");
  const { rows } = source;
  if (name === "gsm8k") return { kind: "gsm8k", ...gsm8kRows(rng, rows, nsample) };
  if (name === "stsb") {
    return { kind: "rows", ids: Array.from({ length: Math.min(rows, nsample) }, (_, i) => i) };
  }
  return { kind: "rows", ids: shuffledRows(rng, rows, nsample) };
}
