/**
 * Pruning patterns and masks. A mask is a Uint8Array over a row-major [rows, cols] weight: 1 = the weight
 * is set to zero (torch's `W_mask == True`), 0 = kept.
 */

import { ActpatError, UsageError } from "../../util/errors.ts";

/** Unstructured: `sparsity` of each row (Wanda) or matrix (magnitude). N:M: `n` of every `m` columns. */
export type PrunePattern =
  | { kind: "unstructured"; sparsity: number }
  | { kind: "nm"; n: number; m: number };

/** Shape of a row-major weight matrix [out_features, in_features]. */
export interface MatrixShape {
  rows: number;
  cols: number;
}

/**
 * Parses `--sparsity-type`: "unstructured" (with `sparsity`), or "N:M" such as "2:4", "4:8".
 * @example parsePrunePattern("2:4", 0.5) // { kind: "nm", n: 2, m: 4 }
 */
export function parsePrunePattern(type: string, sparsity: number): PrunePattern {
  if (type === "unstructured") {
    checkSparsity(sparsity, "--sparsity");
    return { kind: "unstructured", sparsity };
  }
  const match = /^(\d+):(\d+)$/.exec(type);
  if (!match) {
    throw new UsageError(
      "parse --sparsity-type",
      `"${type}" is neither "unstructured" nor N:M such as "2:4"`,
    );
  }
  const n = Number(match[1]);
  const m = Number(match[2]);
  if (n < 1 || m < 2 || n >= m) {
    throw new UsageError("parse --sparsity-type", `"${type}" needs 1 <= N < M`);
  }
  return { kind: "nm", n, m };
}

/** Throws unless `s` is a finite fraction in [0, 1]. */
export function checkSparsity(s: number, what: string): void {
  if (!Number.isFinite(s) || s < 0 || s > 1) {
    throw new ActpatError("prune", `${what} must be in [0, 1], got ${s}`);
  }
}

/** Throws unless `data` holds exactly rows·cols elements and the N:M groups tile the columns. */
export function checkMatrix(
  data: ArrayLike<number>,
  shape: MatrixShape,
  pattern: PrunePattern,
  what: string,
): void {
  const { rows, cols } = shape;
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) {
    throw new ActpatError("prune", `${what}: bad shape [${rows}, ${cols}]`);
  }
  if (data.length !== rows * cols) {
    throw new ActpatError("prune", `${what}: ${data.length} elements for shape [${rows}, ${cols}]`);
  }
  if (pattern.kind === "nm" && cols % pattern.m !== 0) {
    // torch would silently prune the short last group differently; real checkpoints never hit this.
    throw new ActpatError(
      "prune",
      `${what}: ${cols} input columns are not a multiple of M = ${pattern.m} for ${pattern.n}:${pattern.m}`,
    );
  }
  if (pattern.kind === "unstructured") checkSparsity(pattern.sparsity, `${what} sparsity`);
}

/** Zeros `weight[i]` wherever `mask[i]` is 1 (in place). */
export function applyMask(weight: Float32Array, mask: Uint8Array): void {
  if (weight.length !== mask.length) {
    throw new ActpatError("apply pruning mask", `${mask.length} mask entries for ${weight.length} weights`);
  }
  for (let i = 0; i < weight.length; i++) if (mask[i] === 1) weight[i] = 0;
}

/** Number of masked entries in each row, for `sparsity.csv` and the exact-count checks. */
export function maskedPerRow(mask: Uint8Array, shape: MatrixShape): Uint32Array {
  const out = new Uint32Array(shape.rows);
  for (let r = 0; r < shape.rows; r++) {
    let c = 0;
    const base = r * shape.cols;
    for (let j = 0; j < shape.cols; j++) c += mask[base + j];
    out[r] = c;
  }
  return out;
}
