import { createHash } from "node:crypto";

/**
 * A seeded stream of normal(0, std) float32 values: xoshiro128** seeded from sha256(seed, key), Box–Muller for
 * the normals. Keying by tensor name makes each tensor independent of which others are generated, so a
 * checkpoint cut to N layers holds the same first N layers as the full one.
 */
export class SeededNormal {
  #s: Uint32Array;
  #std: number;

  constructor(seed: number, key: string, std: number) {
    const digest = createHash("sha256").update(`${seed}\0${key}`).digest();
    this.#s = new Uint32Array(digest.buffer, digest.byteOffset, 4).slice();
    if (this.#s.every((v) => v === 0)) this.#s[0] = 1; // xoshiro's one forbidden state
    this.#std = std;
  }

  /** Next uniform uint32 (xoshiro128**). */
  nextUint32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Fills `out` with normal(0, std) values. */
  fill(out: Float32Array): Float32Array {
    const scale = 2 ** -32;
    for (let i = 0; i < out.length; i += 2) {
      // u1 in (0, 1) so log(u1) is finite.
      const u1 = (this.nextUint32() + 0.5) * scale;
      const u2 = this.nextUint32() * scale;
      const r = this.#std * Math.sqrt(-2 * Math.log(u1));
      const a = 2 * Math.PI * u2;
      out[i] = r * Math.cos(a);
      if (i + 1 < out.length) out[i + 1] = r * Math.sin(a);
    }
    return out;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
