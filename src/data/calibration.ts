import { ActpatError } from "../util/errors.ts";
import { Pcg32, STREAMS } from "./prng.ts";
import type { TokenEncoder } from "./token_encoder.ts";

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
  seed: number;
  /** Give up after this many consecutive documents too short for a window (default 100000). */
  maxRejects?: number;
}

/**
 * Wanda's C4 calibration windows (locuslab/wanda lib/data.py `get_c4`): for each sample, draw a document
 * uniformly until its tokenization (with BOS, as `tokenizer(text)`) is longer than `seqLen` tokens, then a
 * window start uniformly in [0, length - seqLen - 1] (both ends included, as `random.randint`). Draws come
 * from PCG32(seed, STREAMS.calibration) instead of Python's `random`, so the windows differ from Wanda's
 * but follow the same distribution; `doc` and `start` of every window are returned for the manifest.
 */
export function calibrationWindows(
  docs: readonly string[],
  tokenizer: TokenEncoder,
  options: CalibrationOptions,
): TokenWindow[] {
  const { nsamples, seqLen, seed } = options;
  const maxRejects = options.maxRejects ?? 100_000;
  if (docs.length === 0) throw new ActpatError("sample calibration windows", "no documents");
  if (!Number.isInteger(seqLen) || seqLen < 1) {
    throw new ActpatError("sample calibration windows", `seqLen ${seqLen} is not a positive integer`);
  }
  const rng = new Pcg32(seed, STREAMS.calibration);
  // A document drawn twice is tokenized once.
  const tokenized = new Map<number, number[]>();
  const windows: TokenWindow[] = [];
  for (let s = 0; s < nsamples; s++) {
    let rejects = 0;
    for (;;) {
      const doc = rng.randint(0, docs.length - 1);
      let ids = tokenized.get(doc);
      if (!ids) {
        ids = tokenizer.encode(docs[doc], { addBos: true });
        tokenized.set(doc, ids);
      }
      if (ids.length > seqLen) {
        const start = rng.randint(0, ids.length - seqLen - 1);
        windows.push({ doc, start, tokens: ids.slice(start, start + seqLen) });
        break;
      }
      if (++rejects >= maxRejects) {
        throw new ActpatError(
          "sample calibration windows",
          `${rejects} documents drawn in a row have at most ${seqLen} tokens; use a shorter --seqlen`,
        );
      }
    }
  }
  return windows;
}
