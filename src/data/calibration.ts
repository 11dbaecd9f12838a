import { ActpatError } from "../util/errors.ts";
import { PythonRandom } from "./python_random.ts";
import type { TokenEncoder } from "./token_encoder.ts";
import { drawC4Windows } from "./wanda_draws.ts";

/** One calibration sequence: `seqLen` tokens of document `doc` starting at token `start`. */
export interface TokenWindow {
  doc: number;
  start: number;
  tokens: number[];
}

/** Options of {@link calibrationWindows}. */
export interface CalibrationOptions {
  nsamples: number;
  seqLen: number;
  /** `random.seed(seed)` (Wanda's `--seed`, default 0). */
  seed: number;
  /** Continue this generator instead of seeding a fresh one (the paper's `get_c4_nlabel` does not reseed). */
  rng?: PythonRandom;
  /** Give up after this many consecutive documents too short for a window (default 100000). */
  maxRejects?: number;
}

/**
 * Wanda's C4 calibration windows (locuslab/wanda lib/data.py `get_c4`), bit for bit: Python's `random`
 * seeded with `seed` (src/data/wanda_draws.ts `drawC4Windows`): per sample a document drawn uniformly until
 * its tokenization (with BOS, as `tokenizer(text)`) is longer than `seqLen` tokens, then a window start in
 * [0, length - seqLen - 1]. Over the same shard and tokenizer, the documents and starts equal Wanda's;
 * `doc` and `start` of every window are returned for the manifest.
 */
export function calibrationWindows(
  docs: readonly string[],
  tokenizer: TokenEncoder,
  options: CalibrationOptions,
): TokenWindow[] {
  const { nsamples, seqLen, seed } = options;
  if (docs.length === 0) throw new ActpatError("sample calibration windows", "no documents");
  // A document drawn twice is tokenized once.
  const tokenized = new Map<number, number[]>();
  const tokens = (doc: number) => {
    let ids = tokenized.get(doc);
    if (!ids) {
      ids = tokenizer.encode(docs[doc], { addBos: true });
      tokenized.set(doc, ids);
    }
    return ids;
  };
  const windows = drawC4Windows(options.rng ?? new PythonRandom(seed), {
    docCount: docs.length,
    tokenLength: (doc) => tokens(doc).length,
    nsamples,
    seqLen,
    ...(options.maxRejects ? { maxRejects: options.maxRejects } : {}),
  });
  return windows.map(({ doc, start }) => ({ doc, start, tokens: tokens(doc).slice(start, start + seqLen) }));
}
