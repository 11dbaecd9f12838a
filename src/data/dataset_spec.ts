import type { z } from "zod";
import { ActpatError } from "../util/errors.ts";

/** What a dataset is used for; decides which of the spec's hooks exist. */
export type DatasetKind = "multiple-choice" | "perplexity-corpus" | "sentence-pair" | "generation";

/**
 * On-disk formats we parse. `jsonl`/`jsonl.gz`: one JSON object per line (C4's `*.json.gz` shards are JSON
 * lines too). `lines`: one value per line (PIQA/SIQA label files). `tsv`: tab-separated fields, no quoting
 * (STS-B, SICK). `wikitext-raw`: the `wiki.*.raw` files, read back into the hub's rows. `parquet`: hub files.
 */
export type FileFormat = "jsonl" | "jsonl.gz" | "lines" | "tsv" | "wikitext-raw" | "parquet";

/** One file of a split source. */
export interface DataFile {
  /** Path under `<mirror>/datasets/<folder>/` and under `<cache>/datasets/<folder>/`. */
  file: string;
  format: FileFormat;
  /** Where to download it when neither the mirror nor the cache has it. */
  url?: string;
  /** Expected sha256 (hex) where known; checked on every load. */
  sha256?: string;
  bytes?: number;
  /**
   * This file is the first `lines` lines of another (`<mirror>/datasets/<folder>/<file>`, gunzipped when it
   * ends in .gz): a faithful piece that the repository embeds (datasets/README.md). Tests check it against
   * the mirror where there is one.
   */
  prefixOf?: { file: string; lines: number };
}

/**
 * One way to obtain a split: the publisher's original files, or the hub's parquet export. `toDocs` joins the
 * parsed rows of `files` (same order) into docs, which the dataset's `doc` schema then validates.
 */
export interface SplitSource {
  origin: "publisher" | "hub";
  files: DataFile[];
  toDocs(rows: unknown[][]): unknown[];
}

/** A split: its official row count and the sources tried in order. */
export interface SplitSpec {
  /** Official number of rows (lines for WikiText raw: one hub row per file line); a piece's own count. */
  rows: number;
  sources: SplitSource[];
  /** Set on a piece of a split embedded in the repository: the split it is taken from. */
  pieceOf?: string;
}

/** Metrics lm-evaluation-harness defines for a multiple-choice task (its YAML's `metric_list`). */
export type ChoiceMetric = "acc" | "acc_norm";

/**
 * lm-evaluation-harness multiple-choice task: the context is `description + fewshot + docToText(doc)`, each
 * continuation is `" " + choice` (target_delimiter), few-shot examples are `docToText + " " + gold choice`
 * joined by "\n\n" (fewshot_delimiter). See lm_eval/api/samplers.py.
 */
export interface MultipleChoiceTask<D> {
  /** The lm-eval files this reproduces, with commit. */
  reference: string;
  /** The split lm-eval evaluates (its `test_split`, else `validation_split`). */
  split: string;
  /** The YAML's `metric_list`: acc_norm is reported only where it is listed. */
  metrics: readonly ChoiceMetric[];
  docToText(doc: D): string;
  docToChoice(doc: D): string[];
  docToTarget(doc: D): number;
  description?(doc: D): string;
  /** lm-eval `fewshot_split` with sampler `first_n`; `sameGroup` keeps one subject (one MMLU task per subject). */
  fewshot?: { split: string; sameGroup?(a: D, b: D): boolean };
}

/** lm-evaluation-harness generation task (no scorer in actpat yet: the prompt and the reference answer). */
export interface GenerationTask<D> {
  reference: string;
  docToText(doc: D): string;
  docToTarget(doc: D): string;
}

/**
 * The paper's own prompt (Qian2333/Exploring-Activation-Patterns-of-Parameters-in-Language-Models,
 * lib/dataset/*.py @93503116), used as the input `s` of the activation experiments.
 */
export interface PaperPrompt<D> {
  reference: string;
  prompt(doc: D): string;
  /** The gold answer as the paper appends it to a shot (`gen_prompt(i) + choices[answer]`). */
  answer?(doc: D): string;
  /** Split from which few-shot examples are taken (first n, the example itself excluded). */
  shotSplit?: string;
  sameGroup?(a: D, b: D): boolean;
  /** How the paper's `eval_one_shot` scores the task (multiple-choice datasets). */
  eval?: PaperEval;
}

/**
 * The paper's zero-shot protocol for one task (lib/dataset/__init__.py `eval_one_shot` → `get_<task>(label=True,
 * nsample=256)` and `eval_<task>`): random rows of `split`, the prompt, one forward pass, and the argmax over
 * `choices` of the last position's logit of each choice's last token (`tokenizer(choice).input_ids[-1]`).
 */
export interface PaperEval {
  reference: string;
  split: string;
  /** The answer strings in gold order (the gold index is the lm-eval task's `docToTarget`). */
  choices: readonly string[];
  /** A fixed prefix of the first `count` rows of `split`, each `prompt + answer + "\n###\n"` (MMLU's 5 shots). */
  shots?: { split: string; count: number };
  /**
   * The loader draws its shuffle but reads rows 0..n−1 (BoolQ's `label=True` loop iterates
   * `range(len(i_tos))`, lib/dataset/boolq.py:39-48).
   */
  readsFirstRows?: true;
}

/**
 * How the paper builds a task's calibration text (lib/dataset/<task>.py `get_<task>_calibration`):
 * - `prompts`: prompt_i, then "\n###\n" + prompt_j until long enough (BoolQ);
 * - `answers`: prompt_i + answer_i, then "\n###\n" + prompt_j + answer_j (the length is checked before each
 *   answer is appended) (PIQA, MMLU);
 * - `prefill`: prompt_i and 100 further prompts first, then more until long enough (SIQA, HellaSwag).
 */
export type TaskCalibrationStyle = "prompts" | "answers" | "prefill";

/** The dataset as pruning calibration: its split, and for a task the paper's way of building the text. */
export interface CalibrationRole {
  split: string;
  /** Absent for corpora (Wanda's random windows). */
  style?: TaskCalibrationStyle;
  reference: string;
}

/** How a reference reads a corpus for perplexity: the split, and which documents joined how. */
export interface CorpusRecipe {
  split: string;
  /** Rows → the texts `perplexityWindows` joins with "\n\n". */
  texts(docs: readonly string[]): string[];
  /** At most this many perplexity windows (the rest of the stream is not scored). */
  maxWindows?: number;
  /** Tokenize with the tokenizer's BOS first (`tokenizer(text)`, default) or without (`add_special_tokens=False`). */
  bos?: boolean;
  about: string;
}

/** A sentence pair with its gold similarity. */
export interface SentencePair {
  a: string;
  b: string;
  score: number;
}

interface CommonSpec<D> {
  name: string;
  /** Folder under `<mirror>/datasets/` and `<cache>/datasets/` when it differs from `name`. */
  folder?: string;
  title: string;
  licence: string;
  homepage: string;
  /** Validates and types one doc; field descriptions live in the schema (`.describe`). */
  doc: z.ZodType<D>;
  splits: Record<string, SplitSpec>;
  paper?: PaperPrompt<D>;
  /** The split the paper's activation experiments draw inputs from (its `get_<name>` loader). */
  sampleSplit?: string;
  /** Present when the dataset can calibrate pruning. */
  calibration?: CalibrationRole;
}

/** One registry entry: everything actpat knows about a dataset, declared, not coded. */
export type DatasetSpec<D> =
  & CommonSpec<D>
  & (
    | { kind: "multiple-choice"; task: MultipleChoiceTask<D> }
    | { kind: "generation"; task: GenerationTask<D> }
    | { kind: "sentence-pair"; pair(doc: D): SentencePair; scoreRange: [number, number] }
    | {
      kind: "perplexity-corpus";
      text(doc: D): string;
      /** The split `deno task eval` scores (WikiText-2 test, as Wanda). */
      evalSplit?: string;
      /**
       * How it is read for perplexity: `recipe` as its source code does (Wanda's loaders, or the
       * massive-activations reference for its own corpora), `reference` where that reference reads it otherwise.
       */
      perplexity?: { recipe: CorpusRecipe; reference?: CorpusRecipe };
    }
  );

/** A doc as the registry stores it once its type is erased. */
export type Doc = Record<string, unknown>;

/**
 * A typed map of datasets. Duplicate names throw when built; an unknown name throws with the closest
 * known name ("did you mean") and the list of valid ones.
 */
export class DatasetRegistry {
  readonly #specs = new Map<string, DatasetSpec<Doc>>();

  constructor(specs: DatasetSpec<Doc>[]) {
    for (const spec of specs) {
      if (this.#specs.has(spec.name)) {
        throw new ActpatError("register dataset", `"${spec.name}" is registered twice`);
      }
      this.#specs.set(spec.name, spec);
    }
  }

  /** Dataset names in registration order. */
  names(): string[] {
    return [...this.#specs.keys()];
  }

  has(name: string): boolean {
    return this.#specs.has(name);
  }

  /** The spec of `name`; throws `Cannot find dataset "boolk": did you mean "boolq"? (known: ...)`. */
  get(name: string): DatasetSpec<Doc> {
    const spec = this.#specs.get(name);
    if (spec) return spec;
    const names = this.names();
    const near = closest(name, names);
    const hint = near ? `did you mean "${near}"? ` : "";
    throw new ActpatError(`find dataset "${name}"`, `${hint}(known: ${names.join(", ")})`);
  }
}

/**
 * The split the activation experiments draw from unless told otherwise: the one the paper's loader reads
 * (`sampleSplit`: validation for the tasks, test for gsm8k and humaneval, train for c4 and wikitext2), else
 * the dataset's first split.
 */
export function sampleSplitOf(spec: DatasetSpec<Doc>): string {
  return spec.sampleSplit ?? Object.keys(spec.splits)[0];
}

/** Keeps `spec`'s doc type for checking its hooks, then erases it for the registry. */
export function defineDataset<D extends Doc>(spec: DatasetSpec<D>): DatasetSpec<Doc> {
  return spec as unknown as DatasetSpec<Doc>;
}

/** The known name nearest to `name` by edit distance, if within a third of its length (at least 2 edits). */
export function closest(name: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDist = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const k of known) {
    const d = editDistance(name.toLowerCase(), k.toLowerCase());
    if (d < bestDist) {
      best = k;
      bestDist = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}
