/**
 * The text the massive-activations experiment reads: a perplexity corpus tokenized once, cut into the
 * Wanda/SparseGPT perplexity windows (src/data/windows.ts `perplexityWindows`), and seeded random windows of
 * the same token stream for the analysis. The peer (locuslab/massive-activations `lib/load_data.py`
 * `get_data`) analyses windows of RedPajama text tokenized without special tokens; here the analysis
 * windows are `randomWindows` of the chosen corpus, the stream's leading BOS left out unless asked for.
 */
import {
  type CorpusWindows,
  DATASETS,
  type LoadedSplit,
  type LoadOptions,
  loadSplit,
  perplexityWindows,
  randomWindows,
  splitAvailability,
  splitSpec,
  type TokenEncoder,
} from "../../data/mod.ts";
import { ActpatError, UsageError } from "../../util/errors.ts";

/** How each corpus is read: the split, and which documents joined how. */
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

/** Which code's recipes: Wanda's perplexity loaders, or the massive-activations reference's `lib/load_data.py`. */
export type CorpusProtocol = "wanda" | "reference";

/** The reference's three perplexity corpora (locuslab/massive-activations `main_llm.py` exp3 `ds_list`). */
export const REFERENCE_CORPORA: readonly string[] = ["wikitext2", "c4-10k", "pg19"];

/** The corpora `--corpus` accepts. */
export const MASSIVE_CORPORA: Record<string, CorpusRecipe> = {
  wikitext2: {
    split: "test",
    texts: (docs) => [...docs],
    about: 'WikiText-2 raw test, rows joined with "\\n\\n" (Wanda eval_ppl_wikitext)',
  },
  c4: {
    split: "validation",
    // locuslab/wanda lib/data.py get_c4: ' '.join(valdata[:1100]['text']), then the first 256 windows.
    texts: (docs) => [docs.slice(0, 1100).join(" ")],
    maxWindows: 256,
    about: "C4 validation shard 0, first 1100 documents joined with ' ', first 256 windows (Wanda get_c4)",
  },
  "c4-10k": {
    split: "train",
    // locuslab/massive-activations lib/load_data.py get_c4: tokenizer(' '.join(valdata["train"][:5000]['text'])),
    // then `for i in range(100)` windows.
    texts: (docs) => [docs.slice(0, 5000).join(" ")],
    maxWindows: 100,
    about: "NeelNanda/c4-10k train, first 5000 documents joined with ' ', BOS first, first 100 windows " +
      "(massive-activations get_c4)",
  },
  pg19: {
    split: "validation",
    // locuslab/massive-activations lib/load_data.py get_pg19: tokenizer(' '.join(valdata[:5]['text'])) of
    // emozilla/pg19 validation, then `for i in range(100)` windows.
    texts: (docs) => [docs.slice(0, 5).join(" ")],
    maxWindows: 100,
    about: "PG-19 (emozilla/pg19) validation, first 5 books joined with ' ', BOS first, first 100 windows " +
      "(massive-activations get_pg19)",
  },
};

/** Where the reference reads a corpus differently from {@link MASSIVE_CORPORA}. */
const REFERENCE_OVERRIDES: Record<string, CorpusRecipe> = {
  wikitext2: {
    split: "test",
    // locuslab/massive-activations lib/load_data.py get_wikitext: "\n\n".join(testdata['text']) tokenized
    // with add_special_tokens=False, all ⌊n / seqlen⌋ windows.
    texts: (docs) => [...docs],
    bos: false,
    about:
      'WikiText-2 raw test, rows joined with "\\n\\n", no BOS, all windows (massive-activations get_wikitext)',
  },
};

/** A corpus read and tokenized once. */
export interface Corpus {
  name: string;
  loaded: LoadedSplit;
  /** Perplexity windows of `seqLen` over the stream (BOS first when the tokenizer adds one). */
  windows: CorpusWindows;
  /** 1 when the stream starts with BOS, else 0: where the analysis windows' stream begins. */
  bodyStart: number;
  about: string;
}

/**
 * The recipe of `name` under `protocol` (default Wanda's), or `Cannot parse --corpus: ...` naming the
 * accepted corpora.
 */
export function corpusRecipe(name: string, protocol: CorpusProtocol = "wanda"): CorpusRecipe {
  const recipe = (protocol === "reference" ? REFERENCE_OVERRIDES[name] : undefined) ?? MASSIVE_CORPORA[name];
  if (!recipe) {
    throw new UsageError(
      "parse --corpus",
      `"${name}" is not a perplexity corpus this experiment reads (known: ${
        Object.keys(MASSIVE_CORPORA).join(", ")
      })`,
    );
  }
  return recipe;
}

/**
 * Whether `name` can be read without a download attempt failing: "mirror"/"cache" yes, "downloadable"
 * maybe, "unavailable" no.
 */
export async function corpusAvailability(
  name: string,
  options: LoadOptions = {},
  split?: string,
  protocol: CorpusProtocol = "wanda",
) {
  const spec = DATASETS.get(name);
  const recipe = corpusRecipe(name, protocol);
  return await splitAvailability(
    spec.folder ?? name,
    splitSpec(spec, split ?? recipe.split).sources,
    options,
  );
}

/**
 * Loads corpus `name` and cuts its perplexity windows of `seqLen` tokens, as `protocol`'s code does; `split`
 * replaces the recipe's (e.g. a piece of it that the repository embeds).
 */
export async function loadCorpus(
  name: string,
  tokenizer: TokenEncoder & { bosTokenId: number | null },
  seqLen: number,
  options: LoadOptions = {},
  split?: string,
  protocol: CorpusProtocol = "wanda",
): Promise<Corpus> {
  const recipe = corpusRecipe(name, protocol);
  const spec = DATASETS.get(name);
  if (spec.kind !== "perplexity-corpus") throw new UsageError("parse --corpus", `"${name}" is not a corpus`);
  const loaded = await loadSplit(name, split ?? recipe.split, options);
  const texts = recipe.texts(loaded.docs.map((d) => spec.text(d)));
  const all = perplexityWindows(texts, tokenizer, seqLen, { addBos: recipe.bos ?? true });
  const windows = recipe.maxWindows === undefined
    ? all
    : { ...all, starts: all.starts.slice(0, recipe.maxWindows) };
  const bodyStart = tokenizer.bosTokenId !== null && all.ids[0] === tokenizer.bosTokenId ? 1 : 0;
  const about = split && split !== recipe.split ? `${recipe.about}; read from split ${split}` : recipe.about;
  return { name, loaded, windows, bodyStart, about };
}

/** Options of {@link analysisSequences}. */
export interface AnalysisWindowOptions {
  sequences: number;
  seqLen: number;
  seed: number;
  /** Put this BOS id first and take seqLen − 1 corpus tokens after it (default: no BOS). */
  bos?: number | null;
}

/**
 * Seeded random windows of the corpus stream (after its leading BOS) for the analysis: `sequences` token
 * lists of `seqLen` ids, and each window's first token as an index into `corpus.windows.ids`.
 */
export function analysisSequences(
  corpus: Corpus,
  options: AnalysisWindowOptions,
): { sequences: number[][]; starts: number[] } {
  const withBos = options.bos !== undefined && options.bos !== null;
  const bodyLen = withBos ? options.seqLen - 1 : options.seqLen;
  if (bodyLen < 1) {
    throw new UsageError("parse --seq-len", `${options.seqLen} leaves no corpus token after BOS`);
  }
  const body = corpus.windows.ids.subarray(corpus.bodyStart);
  if (body.length <= bodyLen) {
    throw new ActpatError(
      `sample windows of ${corpus.name}`,
      `its ${body.length} tokens leave no window of ${bodyLen}; use a shorter --seq-len`,
    );
  }
  const w = randomWindows(body, { nsamples: options.sequences, seqLen: bodyLen, seed: options.seed });
  const sequences = w.starts.map((s) => {
    const ids = Array.from(body.subarray(s, s + bodyLen));
    return withBos ? [options.bos!, ...ids] : ids;
  });
  return { sequences, starts: w.starts.map((s) => s + corpus.bodyStart) };
}

/** The perplexity windows' token ids, the first `max` of them when given. */
export function perplexityTokens(corpus: Corpus, max?: number): number[][] {
  const { ids, seqLen, starts } = corpus.windows;
  return starts.slice(0, max).map((s) => Array.from(ids.subarray(s, s + seqLen)));
}
