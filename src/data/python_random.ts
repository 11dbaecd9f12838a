import { ActpatError } from "../util/errors.ts";

const N = 624;
const M = 397;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;
const MATRIX_A = 0x9908b0df;
const TWO_32 = 2 ** 32;

/**
 * CPython's `random.Random`, bit for bit, for the draws the reference code makes (Wanda's and the paper's
 * `random.seed`, `randint`, `shuffle`, `sample`): MT19937 seeded as `random_seed` in Modules/_randommodule.c
 * seeds from an int (`init_by_array` over the 32-bit words of |seed|, least significant first; seed 0 is one
 * word 0), and the methods of Lib/random.py over `_randbelow_with_getrandbits`. The algorithms are those of
 * CPython 3.2 to 3.13 (tested against 3.11), so a seed gives the same draws as the references did.
 *
 * Integers are JS numbers up to 2^53 and BigInts beyond (as Python ints, any size); only
 * {@link PythonRandom.getrandbits} always returns a BigInt. Draws below 2^32 never touch BigInt, so a
 * shuffle of 10^5 items takes milliseconds.
 * @example
 * const rng = new PythonRandom(0); // random.seed(0)
 * rng.randint(0, 356316);          // random.randint(0, len(traindata) - 1)
 */
export class PythonRandom {
  readonly #mt = new Uint32Array(N);
  #index = N;

  /** `random.Random(seed)`: see {@link PythonRandom.seed}. */
  constructor(seed: number | bigint) {
    this.seed(seed);
  }

  /**
   * `random.seed(seed)` for an int seed (negative seeds use |seed|, as CPython does). Strings, floats and
   * `None` (OS entropy) are not supported: the references seed with ints.
   */
  seed(seed: number | bigint): void {
    if (typeof seed === "number" && !Number.isSafeInteger(seed)) {
      throw new ActpatError(
        "seed the Python random generator",
        `seed ${seed} is not a safe integer (pass a bigint)`,
      );
    }
    let n = BigInt(seed);
    if (n < 0n) n = -n;
    const key: number[] = [];
    do {
      key.push(Number(n & 0xffffffffn));
      n >>= 32n;
    } while (n > 0n);
    this.#initByArray(key);
  }

  /** `random()`: a float in [0, 1) with 53 random bits (`random_random`: a = word >> 5, b = word >> 6). */
  random(): number {
    const a = this.#word() >>> 5;
    const b = this.#word() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /**
   * `getrandbits(k)`: an int of `k` random bits. Words fill the result from the least significant end; the
   * last word keeps its top k mod 32 bits.
   */
  getrandbits(k: number): bigint {
    if (!Number.isSafeInteger(k) || k < 0) {
      throw new ActpatError("draw random bits", `k ${k} is not an integer ≥ 0`);
    }
    if (k <= 53) return BigInt(this.#bits(k));
    let result = 0n;
    for (let shift = 0n; k > 0; k -= 32, shift += 32n) {
      const r = k < 32 ? this.#word() >>> (32 - k) : this.#word();
      result |= BigInt(r) << shift;
    }
    return result;
  }

  /** `_randbelow(n)`: an int in [0, n) by rejection over `getrandbits(n.bit_length())`; `n` must be ≥ 1. */
  randbelow(n: number): number;
  randbelow(n: bigint): bigint;
  randbelow(n: number | bigint): number | bigint {
    if (typeof n === "bigint") {
      if (n < 1n) throw new ActpatError("draw a random number", `randbelow(${n}) needs n ≥ 1`);
      const k = n.toString(2).length;
      let r = this.getrandbits(k);
      while (r >= n) r = this.getrandbits(k);
      return r;
    }
    if (!Number.isSafeInteger(n) || n < 1) {
      throw new ActpatError(
        "draw a random number",
        `randbelow(${n}) needs a safe integer n ≥ 1 (or a bigint)`,
      );
    }
    const k = bitLength(n);
    let r = this.#bits(k);
    while (r >= n) r = this.#bits(k);
    return r;
  }

  /**
   * `randrange(start, stop, step = 1)`: a random element of `range(start, stop, step)`; `stop` undefined
   * means `randrange(start)`. Numbers must be safe integers; pass BigInts for larger ranges.
   */
  randrange(start: number, stop?: number, step?: number): number;
  randrange(start: bigint, stop?: bigint, step?: bigint): bigint;
  randrange(start: number | bigint, stop?: number | bigint, step: number | bigint = 1): number | bigint {
    const shown = stop === undefined ? [start] : step == 1 ? [start, stop] : [start, stop, step];
    const action = `draw randrange(${shown.join(", ")})`;
    const [istart, istop, istep] = [start, stop ?? 0, step].map((v) => {
      if (typeof v === "number" && !Number.isSafeInteger(v)) {
        throw new ActpatError(action, `${v} is not a safe integer (pass BigInts)`);
      }
      return BigInt(v);
    });
    let n: bigint;
    if (stop === undefined) {
      if (istep !== 1n) throw new ActpatError(action, "a step needs a stop");
      n = istart;
    } else if (istep === 0n) {
      throw new ActpatError(action, "zero step");
    } else {
      const width = istop - istart;
      n = istep > 0n ? floorDiv(width + istep - 1n, istep) : floorDiv(width + istep + 1n, istep);
    }
    if (n <= 0n) throw new ActpatError(action, "empty range");
    const pick = n <= BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(this.randbelow(Number(n))) : this.randbelow(n);
    const value = (stop === undefined ? 0n : istart) + istep * pick;
    return typeof start === "bigint" ? value : Number(value);
  }

  /** `randint(a, b)`: an int in [a, b], both ends included (`randrange(a, b + 1)`). */
  randint(a: number, b: number): number;
  randint(a: bigint, b: bigint): bigint;
  randint(a: number | bigint, b: number | bigint): number | bigint {
    for (const v of [a, b]) {
      if (typeof v === "number" && !Number.isSafeInteger(v)) {
        throw new ActpatError(`draw randint(${a}, ${b})`, `${v} is not a safe integer (pass BigInts)`);
      }
    }
    if (typeof a === "number" && typeof b === "number" && b >= a && Number.isSafeInteger(b - a + 1)) {
      return a + this.randbelow(b - a + 1);
    }
    const value = this.randrange(BigInt(a), BigInt(b) + 1n);
    return typeof a === "bigint" ? value : Number(value);
  }

  /** `choice(seq)`: one element of a non-empty sequence. */
  choice<T>(seq: readonly T[]): T {
    if (seq.length === 0) throw new ActpatError("choose from a sequence", "it is empty");
    return seq[this.randbelow(seq.length)];
  }

  /**
   * `shuffle(x)` (Python 3.11+, no `random` argument; the same draws as the default of earlier versions):
   * in place, for i from len - 1 down to 1, swap x[i] with x[randbelow(i + 1)].
   */
  shuffle<T>(x: { length: number; [i: number]: T }): void {
    for (let i = x.length - 1; i > 0; i--) {
      const j = this.randbelow(i + 1);
      const t = x[i];
      x[i] = x[j];
      x[j] = t;
    }
  }

  /**
   * `sample(population, k)`: `k` distinct positions of the population, in selection order. A number
   * `population` stands for `range(population)`. As CPython: when the population is no larger than the
   * table of a k-element set (`setsize`), a pool of the remaining items (each pick refills its hole with the
   * last item); else draws over the whole range, redrawn while already selected.
   */
  sample(population: number, k: number): number[];
  sample<T>(population: readonly T[], k: number): T[];
  sample<T>(population: number | readonly T[], k: number): (number | T)[] {
    const n = typeof population === "number" ? population : population.length;
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new ActpatError("sample a population", `range(${population}) is not a range of a safe integer`);
    }
    if (!Number.isInteger(k) || k < 0 || k > n) {
      throw new ActpatError("sample a population", `k ${k} is not in [0, ${n}] (the population's size)`);
    }
    const picks: number[] = new Array(k);
    let setsize = 21;
    if (k > 5) setsize += 4 ** Math.ceil(Math.log(k * 3) / Math.log(4));
    if (n <= setsize) {
      const pool = Array.from({ length: n }, (_, i) => i);
      for (let i = 0; i < k; i++) {
        const j = this.randbelow(n - i);
        picks[i] = pool[j];
        pool[j] = pool[n - i - 1];
      }
    } else {
      const selected = new Set<number>();
      for (let i = 0; i < k; i++) {
        let j = this.randbelow(n);
        while (selected.has(j)) j = this.randbelow(n);
        selected.add(j);
        picks[i] = j;
      }
    }
    return typeof population === "number" ? picks : picks.map((i) => population[i]);
  }

  /** `getrandbits(k)` for k ≤ 53 as a number (two words for k > 32: low word first). */
  #bits(k: number): number {
    if (k === 0) return 0;
    if (k <= 32) return this.#word() >>> (32 - k);
    const lo = this.#word();
    return (this.#word() >>> (64 - k)) * TWO_32 + lo;
  }

  /** `genrand_uint32`: the next tempered 32-bit word, twisting all 624 words when they are used up. */
  #word(): number {
    const mt = this.#mt;
    if (this.#index >= N) {
      let kk = 0;
      let y: number;
      for (; kk < N - M; kk++) {
        y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
        mt[kk] = mt[kk + M] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      }
      for (; kk < N - 1; kk++) {
        y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
        mt[kk] = mt[kk + (M - N)] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      }
      y = (mt[N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
      mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      this.#index = 0;
    }
    let y = mt[this.#index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** `init_by_array(key)` after `init_genrand(19650218)`, as in the MT2002 reference code. */
  #initByArray(key: readonly number[]): void {
    const mt = this.#mt;
    mt[0] = 19650218;
    for (let i = 1; i < N; i++) {
      mt[i] = Math.imul(1812433253, mt[i - 1] ^ (mt[i - 1] >>> 30)) + i;
    }
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      mt[i] = (mt[i] ^ Math.imul(mt[i - 1] ^ (mt[i - 1] >>> 30), 1664525)) + key[j] + j;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      mt[i] = (mt[i] ^ Math.imul(mt[i - 1] ^ (mt[i - 1] >>> 30), 1566083941)) - i;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
    }
    mt[0] = 0x80000000;
    this.#index = N;
  }
}

/** Python's `a // b` (rounds toward minus infinity; BigInt division rounds toward zero). */
function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return q * b !== a && (a < 0n) !== (b < 0n) ? q - 1n : q;
}

/** `n.bit_length()` of a positive safe integer. */
function bitLength(n: number): number {
  return n < TWO_32 ? 32 - Math.clz32(n) : 32 + bitLength(Math.floor(n / TWO_32));
}
