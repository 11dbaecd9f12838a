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

/**
 * lm-evaluation-harness multiple-choice task: the context is `description + fewshot + docToText(doc)`, each
 * continuation is `" " + choice` (target_delimiter), few-shot examples are `docToText + " " + gold choice`
 * joined by "\n\n" (fewshot_delimiter). See lm_eval/api/samplers.py.
 */
export interface MultipleChoiceTask<D> {
  /** The lm-eval files this reproduces, with commit. */
  reference: string;
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
}

/** One registry entry: everything actpat knows about a dataset, declared, not coded. */
export type DatasetSpec<D> =
  & CommonSpec<D>
  & (
    | { kind: "multiple-choice"; task: MultipleChoiceTask<D> }
    | { kind: "generation"; task: GenerationTask<D> }
    | { kind: "sentence-pair"; pair(doc: D): SentencePair; scoreRange: [number, number] }
    | { kind: "perplexity-corpus"; text(doc: D): string }
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
