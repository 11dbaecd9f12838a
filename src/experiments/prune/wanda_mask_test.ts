import assert from "node:assert/strict";
import { maskedPerRow, type PrunePattern } from "./mask.ts";
import { prunedPerRow, pruneWanda, wandaMask, wandaScores } from "./wanda_mask.ts";
import { assertThrowsMsg } from "../../../test/fixtures/assert.ts";
import { mulberry32 } from "../../../test/fixtures/random.ts";

/** Independent reference: float32 scores, a stable comparison sort per row (Array.prototype.sort is stable). */
function bruteForceWanda(
  w: Float32Array,
  scaler: Float32Array,
  rows: number,
  cols: number,
  pattern: PrunePattern,
): Uint8Array {
  const score = (r: number, j: number) =>
    Math.fround(Math.abs(w[r * cols + j]) * Math.fround(Math.sqrt(scaler[j])));
  const mask = new Uint8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    if (pattern.kind === "unstructured") {
      const idx = Array.from({ length: cols }, (_, j) => j).sort((a, b) => score(r, a) - score(r, b));
      for (const j of idx.slice(0, Math.floor(cols * pattern.sparsity))) mask[r * cols + j] = 1;
    } else {
      for (let g = 0; g < cols; g += pattern.m) {
        const idx = Array.from({ length: pattern.m }, (_, j) => g + j).sort((a, b) =>
          score(r, a) - score(r, b)
        );
        for (const j of idx.slice(0, pattern.n)) mask[r * cols + j] = 1;
      }
    }
  }
  return mask;
}

/** Weights and scalers drawn from small sets so that equal scores (ties) are common. */
function tiedMatrix(rand: () => number, rows: number, cols: number) {
  const weight = Float32Array.from({ length: rows * cols }, () => (Math.floor(rand() * 17) - 8) / 4);
  const levels = [0, 0.25, 1, 2, 4];
  const scalerRow = Float32Array.from({ length: cols }, () => levels[Math.floor(rand() * levels.length)]);
  return { weight, scalerRow };
}

Deno.test("wandaMask: 2×4 example by hand", () => {
  // sqrt(scaler_row) = [2, 1, 0.5, 1]; scores row 0 = [2, 2, 1.5, 4], row 1 = [1, 0.5, 0.25, 2].
  const weight = new Float32Array([1, -2, 3, -4, 0.5, 0.5, -0.5, 2]);
  const scaler = new Float32Array([4, 1, 0.25, 1]);
  assert.deepEqual([...wandaScores(weight, scaler, { rows: 2, cols: 4 })], [2, 2, 1.5, 4, 1, 0.5, 0.25, 2]);
  const half: PrunePattern = { kind: "unstructured", sparsity: 0.5 };
  // Row 0: 1.5 (col 2), then the tie 2 = 2 goes to the lower column 0. Row 1: 0.25 (col 2), 0.5 (col 1).
  assert.deepEqual([...wandaMask(weight, scaler, { rows: 2, cols: 4, pattern: half })], [
    1,
    0,
    1,
    0,
    0,
    1,
    1,
    0,
  ]);
  // 2:4 on one group per row: the same choice.
  const nm: PrunePattern = { kind: "nm", n: 2, m: 4 };
  assert.deepEqual([...wandaMask(weight, scaler, { rows: 2, cols: 4, pattern: nm })], [
    1,
    0,
    1,
    0,
    0,
    1,
    1,
    0,
  ]);
  // s = 0.3: int(4 · 0.3) = 1 per row.
  const low: PrunePattern = { kind: "unstructured", sparsity: 0.3 };
  assert.deepEqual([...wandaMask(weight, scaler, { rows: 2, cols: 4, pattern: low })], [
    0,
    0,
    1,
    0,
    0,
    0,
    1,
    0,
  ]);
});

Deno.test("wandaMask unstructured equals a stable sort on random tied matrices", () => {
  const rand = mulberry32(1);
  // 0.29 and 0.57: cols·s lands just below an integer in float64 (e.g. 100 · 0.29 = 28.999…), as in Python.
  for (const s of [0, 0.1, 0.29, 0.5, 0.57, 0.7, 0.99, 1]) {
    for (const [rows, cols] of [[7, 100], [3, 33], [1, 1], [5, 64]]) {
      const { weight, scalerRow } = tiedMatrix(rand, rows, cols);
      const pattern: PrunePattern = { kind: "unstructured", sparsity: s };
      const mask = wandaMask(weight, scalerRow, { rows, cols, pattern });
      assert.deepEqual(
        mask,
        bruteForceWanda(weight, scalerRow, rows, cols, pattern),
        `s=${s} ${rows}x${cols}`,
      );
      for (const c of maskedPerRow(mask, { rows, cols })) assert.equal(c, Math.floor(cols * s));
    }
  }
  assert.equal(prunedPerRow(100, 0.29), 28);
});

Deno.test("wandaMask unstructured with continuous values equals a stable sort", () => {
  const rand = mulberry32(2);
  const rows = 16, cols = 257;
  const weight = Float32Array.from({ length: rows * cols }, () => (rand() - 0.5) * 0.1);
  const scalerRow = Float32Array.from({ length: cols }, () => rand() ** 4 * 100);
  const pattern: PrunePattern = { kind: "unstructured", sparsity: 0.6 };
  assert.deepEqual(
    wandaMask(weight, scalerRow, { rows, cols, pattern }),
    bruteForceWanda(weight, scalerRow, rows, cols, pattern),
  );
});

Deno.test("wandaMask N:M equals a per-group stable sort, N of every M", () => {
  const rand = mulberry32(3);
  for (const [n, m] of [[2, 4], [4, 8], [1, 4]]) {
    const rows = 9, cols = 64;
    const { weight, scalerRow } = tiedMatrix(rand, rows, cols);
    const pattern: PrunePattern = { kind: "nm", n, m };
    const mask = wandaMask(weight, scalerRow, { rows, cols, pattern });
    assert.deepEqual(mask, bruteForceWanda(weight, scalerRow, rows, cols, pattern), `${n}:${m}`);
    for (let g = 0; g < rows * cols; g += m) {
      let c = 0;
      for (let j = 0; j < m; j++) c += mask[g + j];
      assert.equal(c, n);
    }
  }
});

Deno.test("pruneWanda zeros exactly the masked weights", () => {
  const rand = mulberry32(4);
  const rows = 4, cols = 12;
  const { weight, scalerRow } = tiedMatrix(rand, rows, cols);
  const before = weight.slice();
  const mask = pruneWanda(weight, scalerRow, {
    rows,
    cols,
    pattern: { kind: "unstructured", sparsity: 0.5 },
  });
  for (let i = 0; i < weight.length; i++) assert.equal(weight[i], mask[i] ? 0 : before[i]);
});

Deno.test("wandaMask rejects bad inputs with the tensor named", () => {
  const w = new Float32Array(8);
  const pattern: PrunePattern = { kind: "unstructured", sparsity: 0.5 };
  assertThrowsMsg(
    () => wandaMask(w, new Float32Array(3), { rows: 2, cols: 4, pattern, name: "q" }),
    "q: scaler_row",
  );
  assertThrowsMsg(() => wandaMask(w, new Float32Array(4), { rows: 3, cols: 4, pattern }), "8 elements");
  assertThrowsMsg(() => wandaMask(w, new Float32Array([1, -1, 1, 1]), { rows: 2, cols: 4, pattern }), "[1]");
  assertThrowsMsg(
    () =>
      wandaMask(new Float32Array(12), new Float32Array(6), {
        rows: 2,
        cols: 6,
        pattern: { kind: "nm", n: 2, m: 4 },
      }),
    "not a multiple of M",
  );
  const nanW = new Float32Array([1, 2, NaN, 4, 1, 2, 3, 4]);
  assertThrowsMsg(() => wandaMask(nanW, new Float32Array(4).fill(1), { rows: 2, cols: 4, pattern }), "NaN");
  assertThrowsMsg(
    () =>
      wandaMask(w, new Float32Array(4), {
        rows: 2,
        cols: 4,
        pattern: { kind: "unstructured", sparsity: 1.5 },
      }),
    "[0, 1]",
  );
});

Deno.test("wandaMask on a Llama-2-7B MLP shape (4096 × 11008)", () => {
  const rows = 4096, cols = 11008;
  const rand = mulberry32(5);
  const weight = new Float32Array(rows * cols);
  for (let i = 0; i < weight.length; i++) weight[i] = rand() - 0.5;
  const scalerRow = Float32Array.from({ length: cols }, () => rand() * 10);
  for (
    const pattern of [{ kind: "unstructured", sparsity: 0.5 }, { kind: "nm", n: 2, m: 4 }] as PrunePattern[]
  ) {
    const t0 = performance.now();
    const mask = wandaMask(weight, scalerRow, { rows, cols, pattern });
    const ms = performance.now() - t0;
    console.log(`wandaMask ${pattern.kind} ${rows}x${cols}: ${ms.toFixed(0)} ms`);
    for (const c of maskedPerRow(mask, { rows, cols })) assert.equal(c, 5504);
  }
});
