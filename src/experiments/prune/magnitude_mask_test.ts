import assert from "node:assert/strict";
import { magnitudeMask, pruneMagnitude } from "./magnitude_mask.ts";
import { maskedPerRow, type PrunePattern } from "./mask.ts";
import { assertThrowsMsg } from "../../../test/fixtures/assert.ts";
import { mulberry32 } from "../../../test/fixtures/random.ts";

/** Independent reference, wanda's two lines with a full sort: thresh = sort(|W|)[int(numel·s)]; |W| <= thresh. */
function bruteForceMagnitude(w: Float32Array, s: number): Uint8Array {
  const sorted = Float32Array.from(w, Math.abs).sort();
  const thresh = sorted[Math.floor(w.length * s)];
  return Uint8Array.from(w, (v) => (Math.abs(v) <= thresh ? 1 : 0));
}

/** Reference N:M: per group of m columns, the n smallest |W| by a stable sort. */
function bruteForceNm(w: Float32Array, rows: number, cols: number, n: number, m: number): Uint8Array {
  const mask = new Uint8Array(w.length);
  for (let r = 0; r < rows; r++) {
    for (let g = 0; g < cols; g += m) {
      const idx = Array.from({ length: m }, (_, j) => r * cols + g + j).sort((a, b) =>
        Math.abs(w[a]) - Math.abs(w[b])
      );
      for (const i of idx.slice(0, n)) mask[i] = 1;
    }
  }
  return mask;
}

Deno.test("magnitudeMask: 2×2 example by hand", () => {
  // |W| sorted = [0.1, 0.2, 0.3, 0.4]; s = 0.5 → index int(4·0.5) = 2 → thresh 0.3 → 0.1, 0.2, 0.3 pruned:
  // wanda's code prunes k + 1 weights when there are no ties.
  const w = new Float32Array([0.1, -0.4, 0.3, -0.2]);
  const pattern: PrunePattern = { kind: "unstructured", sparsity: 0.5 };
  assert.deepEqual([...magnitudeMask(w, { rows: 2, cols: 2, pattern })], [1, 0, 1, 1]);
  // s = 0: index 0 → only the smallest |W| (and its ties).
  const zero: PrunePattern = { kind: "unstructured", sparsity: 0 };
  assert.deepEqual([
    ...magnitudeMask(new Float32Array([0.5, -0.1, 0.1, 2]), { rows: 1, cols: 4, pattern: zero }),
  ], [
    0,
    1,
    1,
    0,
  ]);
});

Deno.test("magnitudeMask unstructured equals the sort-based reference on random tied matrices", () => {
  const rand = mulberry32(21);
  for (const s of [0, 0.1, 0.29, 0.5, 0.7, 0.99]) {
    for (const [rows, cols] of [[8, 50], [1, 7], [13, 13]]) {
      const tied = Float32Array.from({ length: rows * cols }, () => (Math.floor(rand() * 21) - 10) / 8);
      const pattern: PrunePattern = { kind: "unstructured", sparsity: s };
      assert.deepEqual(magnitudeMask(tied, { rows, cols, pattern }), bruteForceMagnitude(tied, s), `s=${s}`);
      const cont = Float32Array.from({ length: rows * cols }, () => (rand() - 0.5) * 1e-2);
      const mask = magnitudeMask(cont, { rows, cols, pattern });
      assert.deepEqual(mask, bruteForceMagnitude(cont, s), `continuous s=${s}`);
      // No ties: exactly int(numel·s) + 1 weights pruned.
      assert.equal(mask.reduce((a, b) => a + b, 0), Math.floor(rows * cols * s) + 1);
    }
  }
});

Deno.test("magnitudeMask treats -0 and +0 as equal and spans huge magnitudes", () => {
  const w = new Float32Array([-0, 0, 1e-30, -3e38, 5, -1e-45, 7]);
  const pattern: PrunePattern = { kind: "unstructured", sparsity: 0.3 };
  assert.deepEqual(magnitudeMask(w, { rows: 1, cols: 7, pattern }), bruteForceMagnitude(w, 0.3));
});

Deno.test("magnitudeMask N:M equals the per-group reference, N of every M", () => {
  const rand = mulberry32(22);
  for (const [n, m] of [[2, 4], [4, 8]]) {
    const rows = 6, cols = 40;
    const w = Float32Array.from({ length: rows * cols }, () => (Math.floor(rand() * 9) - 4) / 2);
    const mask = magnitudeMask(w, { rows, cols, pattern: { kind: "nm", n, m } });
    assert.deepEqual(mask, bruteForceNm(w, rows, cols, n, m));
    for (const c of maskedPerRow(mask, { rows, cols })) assert.equal(c, (cols / m) * n);
  }
});

Deno.test("pruneMagnitude zeros the masked weights; bad inputs are refused", () => {
  const w = new Float32Array([3, -1, 2, -4, 0.5, 6]);
  const mask = pruneMagnitude(w, { rows: 2, cols: 3, pattern: { kind: "unstructured", sparsity: 0.5 } });
  // sorted |W| = [0.5, 1, 2, 3, 4, 6], index int(6·0.5) = 3 → thresh 3: four weights pruned.
  assert.deepEqual([...mask], [1, 1, 1, 0, 1, 0]);
  assert.deepEqual([...w], [0, 0, 0, -4, 0, 6]);
  const one: PrunePattern = { kind: "unstructured", sparsity: 1 };
  assertThrowsMsg(
    () => magnitudeMask(new Float32Array(4), { rows: 2, cols: 2, pattern: one, name: "o" }),
    "o:",
  );
  const half: PrunePattern = { kind: "unstructured", sparsity: 0.5 };
  assertThrowsMsg(
    () => magnitudeMask(new Float32Array([1, NaN]), { rows: 1, cols: 2, pattern: half }),
    "NaN",
  );
});

Deno.test("magnitudeMask on a Llama-2-7B MLP shape (4096 × 11008)", () => {
  const rows = 4096, cols = 11008;
  const rand = mulberry32(23);
  const w = new Float32Array(rows * cols);
  for (let i = 0; i < w.length; i++) w[i] = rand() - 0.5;
  const t0 = performance.now();
  const mask = magnitudeMask(w, { rows, cols, pattern: { kind: "unstructured", sparsity: 0.5 } });
  console.log(`magnitudeMask unstructured ${rows}x${cols}: ${(performance.now() - t0).toFixed(0)} ms`);
  // rand() has 2^32 levels, float32 fewer: ties are possible, so check against the threshold's definition.
  let pruned = 0;
  let maxPruned = 0;
  let minKept = Infinity;
  for (let i = 0; i < w.length; i++) {
    const a = Math.abs(w[i]);
    if (mask[i]) {
      pruned++;
      if (a > maxPruned) maxPruned = a;
    } else if (a < minKept) minKept = a;
  }
  const k = Math.floor(w.length * 0.5);
  assert.ok(maxPruned < minKept);
  // The largest pruned |W| is sort(|W|)[k] exactly when fewer than k + 1 weights lie below it and at least
  // k + 1 lie at or below it.
  let atThreshold = 0;
  for (let i = 0; i < w.length; i++) if (Math.abs(w[i]) === maxPruned) atThreshold++;
  assert.ok(pruned - atThreshold <= k && pruned >= k + 1);
});
