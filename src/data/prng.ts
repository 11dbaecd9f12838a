import { ActpatError } from "../util/errors.ts";

const MASK64 = (1n << 64n) - 1n;

/** PCG32 streams (`initseq`) of actpat's samplers: one per purpose, so one seed never couples two samplers. */
export const STREAMS = { examples: 1, calibration: 2, windows: 3, gsm8kDemos: 8 } as const;
const MULTIPLIER = 6364136223846793005n;

/**
 * PCG32 (O'Neill 2014, `pcg32_random_r` / XSH-RR 64→32 of pcg-c-basic): the seeded generator behind every
 * sampler in actpat. Python's Mersenne Twister cannot be reproduced bit for bit without porting its seeding,
 * so we pick a small, published, well-tested generator instead; a seed names the same draws on every machine
 * and every version of actpat. The state is a 64-bit BigInt: samplers draw thousands of numbers, not billions.
 *
 * Seeding follows `pcg32_srandom_r(initstate = seed, initseq = stream)`, so outputs can be checked against
 * the reference implementation (seed 42, stream 54 → 0xa15c02b7, 0x7b47f409, ...).
 */
export class Pcg32 {
  #state = 0n;
  readonly #inc: bigint;

  constructor(seed: number | bigint, stream: number | bigint = 0) {
    this.#inc = ((toUint64(stream, "stream") << 1n) | 1n) & MASK64;
    this.nextUint32();
    this.#state = (this.#state + toUint64(seed, "seed")) & MASK64;
    this.nextUint32();
  }

  /** The next uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    const old = this.#state;
    this.#state = (old * MULTIPLIER + this.#inc) & MASK64;
    const xorshifted = Number((((old >> 18n) ^ old) >> 27n) & 0xffffffffn);
    const rot = Number(old >> 59n);
    return ((xorshifted >>> rot) | (xorshifted << ((32 - rot) & 31))) >>> 0;
  }

  /**
   * A uniform integer in [0, bound), without modulo bias: `pcg32_boundedrand_r` (rejects draws below
   * 2^32 mod bound). `bound` must be in [1, 2^32].
   */
  bounded(bound: number): number {
    if (!Number.isInteger(bound) || bound < 1 || bound > 2 ** 32) {
      throw new ActpatError("draw a random number", `bound ${bound} is not an integer in [1, 2^32]`);
    }
    const threshold = (2 ** 32 - bound) % bound;
    for (;;) {
      const r = this.nextUint32();
      if (r >= threshold) return r % bound;
    }
  }

  /** A uniform integer in [lo, hi], both ends included (like Python's `random.randint`). */
  randint(lo: number, hi: number): number {
    if (hi < lo) throw new ActpatError("draw a random number", `empty range [${lo}, ${hi}]`);
    return lo + this.bounded(hi - lo + 1);
  }
}

/**
 * The first `k` entries of a seeded Fisher–Yates shuffle of 0..n-1 (position i swaps with i + bounded(n - i)),
 * i.e. `k` distinct indices drawn uniformly without replacement, in draw order.
 */
export function sampleIndices(n: number, k: number, rng: Pcg32): number[] {
  if (!Number.isInteger(k) || k < 0 || k > n) {
    throw new ActpatError("sample indices", `cannot draw ${k} distinct items from ${n}`);
  }
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  const out: number[] = [];
  for (let i = 0; i < k; i++) {
    const j = i + rng.bounded(n - i);
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
    out.push(perm[i]);
  }
  return out;
}

function toUint64(value: number | bigint, what: string): bigint {
  if (typeof value === "number" && (!Number.isSafeInteger(value) || value < 0)) {
    throw new ActpatError("seed the random generator", `${what} ${value} is not a non-negative safe integer`);
  }
  const big = BigInt(value);
  if (big < 0n || big > MASK64) {
    throw new ActpatError("seed the random generator", `${what} ${value} does not fit in 64 unsigned bits`);
  }
  return big;
}
