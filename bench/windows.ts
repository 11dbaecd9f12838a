/**
 * Token windows the benchmark feeds: seeded uniform ids (the timing does not depend on the text, and random
 * checkpoints have no text worth feeding), starting with BOS when the model has one. The same windows are
 * written to JSON for the PyTorch reference (bench/reference/density_reference.py).
 */
import { Pcg32 } from "../src/data/prng.ts";
import type { LlamaConfig } from "../src/model/llama_config.ts";
import { ActpatError } from "../src/util/errors.ts";

/** PCG32 stream of benchmark windows (distinct from the data layer's streams). */
const BENCH_STREAM = 17;
/** Ids 0..2 are unk/bos/eos in every Llama-2-style vocabulary; body tokens avoid them. */
const FIRST_BODY_ID = 3;

/** `count` windows of `seqLen` token ids, reproducible from `seed`. */
export function benchWindows(config: LlamaConfig, count: number, seqLen: number, seed: number): number[][] {
  if (!Number.isInteger(seqLen) || seqLen < 2) {
    throw new ActpatError("make benchmark windows", `sequence length ${seqLen} is not an integer ≥ 2`);
  }
  if (config.vocabSize <= FIRST_BODY_ID) {
    throw new ActpatError("make benchmark windows", `vocabulary of ${config.vocabSize} ids is too small`);
  }
  const rng = new Pcg32(seed, BENCH_STREAM);
  return Array.from(
    { length: count },
    () =>
      Array.from(
        { length: seqLen },
        (_, t) =>
          t === 0 && config.bosTokenId !== null
            ? config.bosTokenId
            : FIRST_BODY_ID + rng.bounded(config.vocabSize - FIRST_BODY_ID),
      ),
  );
}
