import { ActpatError } from "../util/errors.ts";
import { Pcg32, STREAMS } from "./prng.ts";
import { PythonRandom } from "./python_random.ts";
import type { TokenEncoder } from "./token_encoder.ts";
import { drawWindowStarts } from "./wanda_draws.ts";

/** A corpus tokenized once and cut into windows of `seqLen` tokens starting at `starts`. */
export interface CorpusWindows {
  /** Token ids of the whole joined corpus (BOS first). */
  ids: Int32Array;
  seqLen: number;
  starts: number[];
}

/**
 * Perplexity windows (Wanda/SparseGPT `eval_ppl_wikitext`): rows joined with "\n\n", tokenized once (BOS
 * first, as `tokenizer(text)`; without it when `addBos` is false, as `add_special_tokens=False`), cut into
 * ⌊n / seqLen⌋ non-overlapping windows; the tail is dropped.
 */
export function perplexityWindows(
  rows: readonly string[],
  tokenizer: TokenEncoder,
  seqLen: number,
  options: { addBos?: boolean } = {},
): CorpusWindows {
  checkSeqLen(seqLen);
  const ids = Int32Array.from(tokenizer.encode(rows.join("\n\n"), { addBos: options.addBos ?? true }));
  const count = Math.floor(ids.length / seqLen);
  if (count === 0) {
    throw new ActpatError(
      "cut perplexity windows",
      `the corpus has ${ids.length} tokens, fewer than seqLen ${seqLen}`,
    );
  }
  return { ids, seqLen, starts: Array.from({ length: count }, (_, i) => i * seqLen) };
}

/**
 * Random windows of one token stream as Wanda's `get_wikitext2` train loader and the paper's
 * `get_wikitext2_nlabel` draw them, bit for bit (src/data/wanda_draws.ts `drawWindowStarts`): Python's
 * `random` seeded with `seed` (or `rng` continued), start = `randint(0, n - seqLen - 1)` per window.
 */
export function wandaWindows(
  ids: Int32Array,
  options: { nsamples: number; seqLen: number; seed: number; rng?: PythonRandom },
): CorpusWindows {
  const { nsamples, seqLen } = options;
  checkSeqLen(seqLen);
  const starts = drawWindowStarts(options.rng ?? new PythonRandom(options.seed), {
    tokenCount: ids.length,
    nsamples,
    seqLen,
  });
  return { ids, seqLen, starts };
}

/**
 * Random windows of one token stream where no reference fixes the draws (the massive-activation corpora):
 * start uniform in [0, n - seqLen - 1], PCG32(seed, STREAMS.windows).
 */
export function randomWindows(
  ids: Int32Array,
  options: { nsamples: number; seqLen: number; seed: number },
): CorpusWindows {
  checkSeqLen(options.seqLen);
  if (ids.length <= options.seqLen) {
    throw new ActpatError("cut random windows", `${ids.length} tokens leave no window of ${options.seqLen}`);
  }
  const rng = new Pcg32(options.seed, STREAMS.windows);
  const starts = Array.from(
    { length: options.nsamples },
    () => rng.randint(0, ids.length - options.seqLen - 1),
  );
  return { ids, seqLen: options.seqLen, starts };
}

/** The tokens of window `i`. */
export function windowTokens(w: CorpusWindows, i: number): Int32Array {
  return w.ids.subarray(w.starts[i], w.starts[i] + w.seqLen);
}

function checkSeqLen(seqLen: number): void {
  if (!Number.isInteger(seqLen) || seqLen < 1) {
    throw new ActpatError("cut windows", `seqLen ${seqLen} is not a positive integer`);
  }
}
