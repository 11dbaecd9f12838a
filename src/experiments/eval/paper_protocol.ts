/**
 * The paper's zero-shot protocol (`--scoring paper`; Qian2333/Exploring-Activation-Patterns-of-Parameters-in-
 * Language-Models @93503116, wanda_test.py:128-140): which rows each task scores and the text the model reads.
 *
 * Rows: `eval_ppl` first draws 128 WikiText-2 train windows of `model.seqlen` tokens on Python's `random`
 * reseeded with 0, then `eval_one_shot` shuffles each task's validation rows on the same generator and keeps
 * 256 (src/data/paper_runs.ts `paperZeroShotRows`). Which rows a task gets therefore depends on the number of
 * WikiText-2 train tokens under the model's tokenizer and on the row counts of every task drawn before it, so
 * those are read here whatever tasks are asked for; where WikiText-2 train cannot be had, the tasks are skipped
 * with that reason.
 *
 * Text: the task's paper prompt (its dataset file's `paper.prompt`), after a fixed few-shot prefix where the
 * paper has one (MMLU: the first five `auxiliary_train` rows, `gen_prompt_nshot`), BOS first.
 */
import {
  type DatasetHandle,
  DATASETS,
  type Example,
  type LoadOptions,
  openDataset,
  PAPER_ZERO_SHOT_TASKS,
  paperZeroShotRows,
  promptText,
  splitSpec,
  type TokenEncoder,
} from "../../data/mod.ts";
import { type DatasetRecord, datasetRecord } from "../../results/manifest.ts";
import { ActpatError } from "../../util/errors.ts";

/** `eval_one_shot(..., nsample=256)` (wanda_test.py:139). */
export const PAPER_EVAL_SAMPLES = 256;

/** Separator after each shot of `gen_prompt_nshot`. */
const SHOT_SEPARATOR = "\n###\n";

/** The rows the paper's protocol scores per task, and what decided them. */
export interface PaperEvalDraws {
  /** Row ids per task, in scoring order. */
  ids: Record<string, number[]>;
  /** The WikiText-2 train tokens `eval_ppl`'s draws ran over. */
  wikitextTrainTokens: number;
  /** The draws made before each task's, for its manifest record (`dataset/split×count`). */
  after: Record<string, string[]>;
  /** WikiText-2 train as read (files and digests), for the manifest. */
  wikitextRecord: DatasetRecord;
}

/** Token counts of WikiText-2 train by tokenizer: tokenizing it takes seconds, and table1 scores many models. */
const TRAIN_TOKENS = new WeakMap<object, number>();

/**
 * The tokens of WikiText-2 train as wanda's `get_wikitext2` counts them: `tokenizer(" ".join(traindata['text']))`
 * (BOS first) over the hub's rows.
 */
async function wikitextTrainTokens(
  tokenizer: TokenEncoder,
  load: LoadOptions,
): Promise<{ tokens: number; record: DatasetRecord } | { unavailable: string }> {
  const dataset = openDataset("wikitext2", load);
  const spec = dataset.spec;
  if (spec.kind !== "perplexity-corpus") throw new ActpatError("read wikitext2", "it is not a corpus");
  let loaded;
  try {
    loaded = await dataset.split("train");
  } catch (err) {
    // Only a split that cannot be had: a file on disk that does not load is an error.
    if (!(err instanceof ActpatError) || !/^Cannot load dataset/.test(err.message)) throw err;
    return {
      unavailable:
        "the paper's evaluation rows follow eval_ppl's 128 draws over the WikiText-2 train tokens " +
        `(wanda_test.py:128), and wikitext2/train cannot be had: ${err.message}`,
    };
  }
  let tokens = TRAIN_TOKENS.get(tokenizer);
  if (tokens === undefined) {
    tokens = tokenizer.encode(loaded.docs.map((d) => spec.text(d)).join(" "), { addBos: true }).length;
    TRAIN_TOKENS.set(tokenizer, tokens);
  }
  return { tokens, record: datasetRecord(loaded) };
}

/** Options of {@link paperEvalDraws}. */
export interface PaperDrawOptions {
  /** `model.seqlen` of `eval_ppl`'s windows. */
  seqLen: number;
  /** Split per task replacing the paper's validation split. */
  splits?: Readonly<Record<string, string>>;
  /** Row counts of the splits already loaded (`len(testset)`); others use their declared count. */
  rows?: Readonly<Record<string, number>>;
  load?: LoadOptions;
}

/**
 * The rows `--scoring paper` scores: `paperZeroShotRows` over each task's split (`splits[name]`, default the
 * paper's validation split), after `eval_ppl`'s draws of `seqLen`-token windows.
 */
export async function paperEvalDraws(
  tokenizer: TokenEncoder,
  options: PaperDrawOptions,
): Promise<PaperEvalDraws | { unavailable: string }> {
  const rows = {} as Record<(typeof PAPER_ZERO_SHOT_TASKS)[number], number>;
  const after: Record<string, string[]> = {};
  const train = await wikitextTrainTokens(tokenizer, options.load ?? {});
  if ("unavailable" in train) return train;
  const { tokens, record } = train;
  let before = [`wikitext2/train×128 windows of ${options.seqLen}`];
  for (const name of PAPER_ZERO_SHOT_TASKS) {
    const spec = DATASETS.get(name);
    const split = options.splits?.[name] ?? spec.paper?.eval?.split;
    if (!split) {
      throw new ActpatError(`draw the paper's examples of ${name}`, "it has no paper evaluation split");
    }
    rows[name] = options.rows?.[name] ?? splitSpec(spec, split).rows;
    after[name] = before;
    before = [...before, `${name}/${split}×${Math.min(PAPER_EVAL_SAMPLES, rows[name])}`];
  }
  const ids = paperZeroShotRows(rows, {
    wikitextTrainTokens: tokens,
    seqLen: options.seqLen,
    nsample: PAPER_EVAL_SAMPLES,
  });
  return { ids, wikitextTrainTokens: tokens, after, wikitextRecord: record };
}

/**
 * The text the paper's protocol feeds for `example`: with `shots` > 0, a prefix of the first `shots` rows of
 * the task's shot split (`paper.eval.shots`: MMLU's auxiliary_train), each `prompt + answer + "\n###\n"`, as
 * `gen_prompt_nshot`; a task without one takes its shots as the activation prompts do (promptText).
 */
export async function paperEvalPrompt(
  dataset: DatasetHandle,
  example: Example,
  shots: number,
): Promise<string> {
  const paper = dataset.spec.paper;
  const prefix = paper?.eval?.shots;
  if (shots === 0 || !prefix) return await promptText(dataset, example, { shots });
  if (!paper?.answer) throw new ActpatError(`build the paper's ${shots}-shot prompt`, "no gold answer form");
  const { docs } = await dataset.split(prefix.split);
  if (docs.length < shots) {
    throw new ActpatError(
      `build the paper's ${shots}-shot prompt of ${dataset.spec.name}`,
      `${prefix.split} has ${docs.length} rows`,
    );
  }
  const head = docs.slice(0, shots).map((d) => paper.prompt(d) + paper.answer!(d) + SHOT_SEPARATOR).join("");
  return head + paper.prompt(example.doc);
}

/** Shots of the paper's protocol for a task: its declared prefix (MMLU 5), else 0. */
export function paperDefaultShots(dataset: DatasetHandle): number {
  return dataset.spec.paper?.eval?.shots?.count ?? 0;
}
