/**
 * Order-statistic helpers shared by the Wanda and magnitude masks. Scores are float32 values that are
 * non-negative (|W|, |W|·sqrt(x²)); their IEEE bits with the sign bit cleared, read as unsigned integers,
 * sort exactly as the values do (and map -0 onto +0, which compare equal in torch too). Selecting on those
 * integer keys by radix needs no copy of a 45M-element matrix and no comparison sort.
 */

import { ActpatError } from "../../util/errors.ts";

const ABS_MASK = 0x7fffffff;
const INF_BITS = 0x7f800000;

/** Three radix passes: bits 30..21 (bit 31 is always 0 after masking), 20..10, 9..0. */
const PASSES: ReadonlyArray<readonly [shift: number, width: number]> = [[21, 11], [10, 11], [0, 10]];

/** Scratch for `kthSmallestKey`: one histogram of the widest digit. */
export function selectScratch(): Uint32Array {
  return new Uint32Array(1 << 11);
}

/**
 * The key of the element of rank `k` (0-based; ties counted with multiplicity) among `bits[start..end)`
 * after `& 0x7fffffff`, i.e. `sort(keys)[k]`. Throws when a key is NaN, since torch would sort NaN last and
 * a NaN score means the statistics upstream are broken.
 */
export function kthSmallestKey(
  bits: Uint32Array,
  start: number,
  end: number,
  k: number,
  hist: Uint32Array,
  what: string,
): number {
  let prefix = 0;
  let prefixMask = 0;
  let rank = k;
  for (let p = 0; p < PASSES.length; p++) {
    const [shift, width] = PASSES[p];
    const size = 1 << width;
    const digitMask = size - 1;
    hist.fill(0, 0, size);
    if (p === 0) {
      for (let i = start; i < end; i++) {
        const key = bits[i] & ABS_MASK;
        if (key > INF_BITS) throw new ActpatError("prune", `${what} contains NaN at index ${i}`);
        hist[key >>> shift]++;
      }
    } else {
      for (let i = start; i < end; i++) {
        const key = bits[i] & ABS_MASK;
        if ((key & prefixMask) === prefix) hist[(key >>> shift) & digitMask]++;
      }
    }
    let cum = 0;
    let d = 0;
    for (; d < size; d++) {
      const c = hist[d];
      if (cum + c > rank) break;
      cum += c;
    }
    rank -= cum;
    prefix |= d << shift;
    prefixMask |= digitMask << shift;
  }
  return prefix;
}

/**
 * Marks in `mask[start..end)` the `k` smallest keys of `bits[start..end)`, ties broken by lower index: the
 * first k indices of a stable ascending sort (torch.sort(stable=True)).
 */
export function markKSmallestStable(
  bits: Uint32Array,
  start: number,
  end: number,
  k: number,
  mask: Uint8Array,
  hist: Uint32Array,
  what: string,
): void {
  if (k <= 0) return;
  if (k >= end - start) {
    mask.fill(1, start, end);
    return;
  }
  const thr = kthSmallestKey(bits, start, end, k - 1, hist, what);
  let taken = 0;
  for (let i = start; i < end; i++) {
    if ((bits[i] & ABS_MASK) < thr) {
      mask[i] = 1;
      taken++;
    }
  }
  for (let i = start; i < end && taken < k; i++) {
    if ((bits[i] & ABS_MASK) === thr) {
      mask[i] = 1;
      taken++;
    }
  }
}

/**
 * N:M pattern on a row-major [rows, cols] matrix of keys: in every group of `m` consecutive columns of a
 * row, marks the `n` smallest. torch.topk(largest=False) leaves the order of ties unspecified; we take the
 * lower column index first, which is what a stable sort would do.
 */
export function markNm(
  bits: Uint32Array,
  rows: number,
  cols: number,
  n: number,
  m: number,
  mask: Uint8Array,
  what: string,
): void {
  const keys = new Uint32Array(m);
  for (let r = 0; r < rows; r++) {
    const rowStart = r * cols;
    for (let g = 0; g < cols; g += m) {
      const base = rowStart + g;
      for (let j = 0; j < m; j++) {
        const key = bits[base + j] & ABS_MASK;
        if (key > INF_BITS) throw new ActpatError("prune", `${what} contains NaN at index ${base + j}`);
        keys[j] = key;
      }
      for (let j = 0; j < m; j++) {
        const kj = keys[j];
        let rank = 0;
        for (let i = 0; i < m; i++) {
          const ki = keys[i];
          if (ki < kj || (ki === kj && i < j)) rank++;
        }
        if (rank < n) mask[base + j] = 1;
      }
    }
  }
}
