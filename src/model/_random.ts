import { createHash } from "node:crypto";

/**
 * A seeded stream of normal(0, std) float32 values: xoshiro128** seeded from sha256(seed, key), normals by
 * Marsaglia and Tsang's ziggurat (one uniform and a compare for ~99% of values: a 7B checkpoint needs
 * billions, and Box–Muller's log/cos cost ten times more here). Keying by tensor name makes each tensor
 * independent of which others are generated, so a checkpoint cut to N layers holds the same first N layers as
 * the full one.
 */
export class SeededNormal {
  readonly state: Uint32Array;
  readonly std: number;

  constructor(seed: number, key: string, std: number) {
    const digest = createHash("sha256").update(`${seed}\0${key}`).digest();
    this.state = new Uint32Array(digest.buffer.slice(digest.byteOffset, digest.byteOffset + 16));
    if (this.state.every((v) => v === 0)) this.state[0] = 1; // xoshiro's one forbidden state
    this.std = std;
  }

  /** Fills `out` with normal(0, std) values. */
  fill(out: Float32Array): Float32Array {
    const st = this.state;
    const std = this.std;
    for (let i = 0; i < out.length; i++) {
      const hz = next(st) | 0;
      const iz = hz & 127;
      out[i] = std * (Math.abs(hz) < KN[iz] ? hz * WN[iz] : tail(st, hz, iz));
    }
    return out;
  }
}

/** xoshiro128**: the next uint32 of `s`, advancing it. */
function next(s: Uint32Array): number {
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

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Uniform in (0, 1). */
function uniform(s: Uint32Array): number {
  return (next(s) + 0.5) * 2 ** -32;
}

// Ziggurat tables for 128 layers (Marsaglia & Tsang 2000, "The Ziggurat Method for Generating Random
// Variables", zigset): R is the start of the tail, V the area of each layer.
const R = 3.442619855899;
const V = 9.91256303526217e-3;
const M1 = 2147483648.0;
const KN = new Uint32Array(128);
const WN = new Float64Array(128);
const FN = new Float64Array(128);
{
  let dn = R;
  let tn = dn;
  const q = V / Math.exp(-0.5 * dn * dn);
  KN[0] = (dn / q) * M1;
  KN[1] = 0;
  WN[0] = q / M1;
  WN[127] = dn / M1;
  FN[0] = 1.0;
  FN[127] = Math.exp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(V / dn + Math.exp(-0.5 * dn * dn)));
    KN[i + 1] = (dn / tn) * M1;
    tn = dn;
    FN[i] = Math.exp(-0.5 * dn * dn);
    WN[i] = dn / M1;
  }
}

/** The ziggurat's slow path (RNOR's nfix): the base strip's tail, or a wedge between layers. */
function tail(s: Uint32Array, hz: number, iz: number): number {
  for (;;) {
    if (iz === 0) {
      let x: number, y: number;
      do {
        x = -Math.log(uniform(s)) / R;
        y = -Math.log(uniform(s));
      } while (y + y < x * x);
      return hz > 0 ? R + x : -R - x;
    }
    const x = hz * WN[iz];
    if (FN[iz] + uniform(s) * (FN[iz - 1] - FN[iz]) < Math.exp(-0.5 * x * x)) return x;
    hz = next(s) | 0;
    iz = hz & 127;
    if (Math.abs(hz) < KN[iz]) return hz * WN[iz];
  }
}
