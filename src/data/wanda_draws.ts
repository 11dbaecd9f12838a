import { ActpatError } from "../util/errors.ts";
import { PythonRandom } from "./python_random.ts";

/** One calibration window: tokens [start, start + seqLen) of document `doc`. */
export interface DocWindow {
  doc: number;
  start: number;
}

/** Options of {@link drawC4Windows}. */
export interface C4DrawOptions {
  /** Documents in the shard (`len(traindata)`; 356317 in `en/c4-train.00000-of-01024.json.gz`). */
  docCount: number;
  /** Token count of document `doc` as `tokenizer(text).input_ids.shape[1]` gives it (BOS included). */
  tokenLength: (doc: number) => number;
  nsamples: number;
  seqLen: number;
  /** Give up after this many documents in a row with at most `seqLen` tokens (default 100000). */
  maxRejects?: number;
}

/**
 * The C4 window loop of Wanda's `get_c4`, continuing `rng` (the paper's `get_c4_nlabel` draws so, without
 * reseeding). Per window: documents drawn until one is longer than `seqLen` tokens, then a start in
 * [0, length - seqLen - 1]:
 *
 * ```python
 * # locuslab/wanda lib/data.py:49-56 @8e8fc87 (the same in luuyin/OWL lib/data.py:49-56 @dddb7a4 and
 * # the paper's lib/dataset/wikic4.py:51-58, lib/dataset/__init__.py:40-47 @93503116)
 * for _ in range(nsamples):
 *     while True:
 *         i = random.randint(0, len(traindata) - 1)
 *         trainenc = tokenizer(traindata[i]['text'], return_tensors='pt')
 *         if trainenc.input_ids.shape[1] > seqlen:
 *             break
 *     i = random.randint(0, trainenc.input_ids.shape[1] - seqlen - 1)
 *     j = i + seqlen
 * ```
 * `tokenLength` is called once per draw, so the caller caches it if a document may come twice.
 */
export function drawC4Windows(rng: PythonRandom, options: C4DrawOptions): DocWindow[] {
  const { docCount, tokenLength, nsamples, seqLen } = options;
  const maxRejects = options.maxRejects ?? 100_000;
  const action = "draw C4 calibration windows";
  if (!Number.isSafeInteger(docCount) || docCount < 1) {
    throw new ActpatError(action, `docCount ${docCount} is not a positive integer`);
  }
  checkCounts(action, nsamples, seqLen);
  const windows: DocWindow[] = [];
  for (let s = 0; s < nsamples; s++) {
    for (let rejects = 0;;) {
      const doc = rng.randint(0, docCount - 1);
      const length = tokenLength(doc);
      if (length > seqLen) {
        windows.push({ doc, start: rng.randint(0, length - seqLen - 1) });
        break;
      }
      if (++rejects >= maxRejects) {
        throw new ActpatError(
          action,
          `${rejects} documents drawn in a row have at most ${seqLen} tokens; use a shorter --seq-len`,
        );
      }
    }
  }
  return windows;
}

/**
 * Wanda's C4 calibration windows, exactly: `random.seed(seed)`, then {@link drawC4Windows}
 * (locuslab/wanda lib/data.py:47 `get_c4`; the same in luuyin/OWL lib/data.py:47 and the paper's
 * lib/dataset/wikic4.py:49).
 * Wanda's `--seed` defaults to 0.
 * @example wandaC4Windows(356317, (doc) => lengths[doc], { nsamples: 128, seqLen: 4096, seed: 0 })
 */
export function wandaC4Windows(
  docCount: number,
  tokenLength: (doc: number) => number,
  options: { nsamples: number; seqLen: number; seed: number; maxRejects?: number },
): DocWindow[] {
  const { seed, ...rest } = options;
  return drawC4Windows(new PythonRandom(seed), { docCount, tokenLength, ...rest });
}

/** Options of {@link drawWindowStarts}. */
export interface StartDrawOptions {
  /** Tokens in the stream (`trainenc.input_ids.shape[1]`). */
  tokenCount: number;
  nsamples: number;
  seqLen: number;
}

/**
 * Window starts in one token stream, continuing `rng` (the paper's `get_wikitext2_nlabel` draws so):
 *
 * ```python
 * # locuslab/wanda lib/data.py:31-33 @8e8fc87 (the paper: lib/dataset/wikic4.py:33-35,
 * # lib/dataset/__init__.py:65-67 @93503116)
 * for _ in range(nsamples):
 *     i = random.randint(0, trainenc.input_ids.shape[1] - seqlen - 1)
 *     j = i + seqlen
 * ```
 */
export function drawWindowStarts(rng: PythonRandom, options: StartDrawOptions): number[] {
  const { tokenCount, nsamples, seqLen } = options;
  const action = "draw window starts";
  checkCounts(action, nsamples, seqLen);
  if (!Number.isSafeInteger(tokenCount) || tokenCount <= seqLen) {
    throw new ActpatError(action, `${tokenCount} tokens leave no window of ${seqLen}`);
  }
  return Array.from({ length: nsamples }, () => rng.randint(0, tokenCount - seqLen - 1));
}

/**
 * Wanda's WikiText-2 calibration starts (`get_wikitext2`: train rows joined with " ", tokenized once):
 * `random.seed(seed)` (lib/data.py:29), then {@link drawWindowStarts}.
 */
export function wandaWikitextStarts(
  tokenCount: number,
  options: { nsamples: number; seqLen: number; seed: number },
): number[] {
  const { seed, ...rest } = options;
  return drawWindowStarts(new PythonRandom(seed), { tokenCount, ...rest });
}

function checkCounts(action: string, nsamples: number, seqLen: number): void {
  if (!Number.isSafeInteger(nsamples) || nsamples < 0) {
    throw new ActpatError(action, `nsamples ${nsamples} is not an integer ≥ 0`);
  }
  if (!Number.isSafeInteger(seqLen) || seqLen < 1) {
    throw new ActpatError(action, `seqLen ${seqLen} is not a positive integer`);
  }
}
