/**
 * The text the massive-activations experiment reads: a perplexity corpus tokenized once, cut into the
 * Wanda/SparseGPT perplexity windows (src/data/windows.ts `perplexityWindows`), and seeded random windows of
 * the same token stream for the analysis. The peer (locuslab/massive-activations `lib/load_data.py`
 * `get_data`) analyses windows of RedPajama text tokenized without special tokens; here the analysis
 * windows are `randomWindows` of the chosen corpus, the stream's leading BOS left out unless asked for.
 */
import {
  type CorpusRecipe,
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

/** Which code's recipes: Wanda's perplexity loaders, or the massive-activations reference's `lib/load_data.py`. */
export type CorpusProtocol = "wanda" | "reference";

/** The reference's three perplexity corpora (locuslab/massive-activations `main_llm.py` exp3 `ds_list`). */
export const REFERENCE_CORPORA: readonly string[] = ["wikitext2", "c4-10k", "pg19"];

/** The corpora `--corpus` accepts: the datasets that declare how they are read for perplexity. */
export function perplexityCorpora(): string[] {
  return DATASETS.names().filter((n) => {
    const spec = DATASETS.get(n);
    return spec.kind === "perplexity-corpus" && spec.perplexity !== undefined;
  });
}

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
 * The recipe of `name` under `protocol` (default Wanda's), as its dataset file declares it, or
 * `Cannot parse --corpus: ...` naming the accepted corpora.
 */
export function corpusRecipe(name: string, protocol: CorpusProtocol = "wanda"): CorpusRecipe {
  const spec = DATASETS.has(name) ? DATASETS.get(name) : undefined;
  const recipes = spec?.kind === "perplexity-corpus" ? spec.perplexity : undefined;
  if (!recipes) {
    throw new UsageError(
      "parse --corpus",
      `"${name}" is not a perplexity corpus this experiment reads (known: ${perplexityCorpora().join(", ")})`,
    );
  }
  return (protocol === "reference" ? recipes.reference : undefined) ?? recipes.recipe;
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
