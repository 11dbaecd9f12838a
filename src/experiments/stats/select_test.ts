import assert from "node:assert/strict";
import { quantile, quantileInPlace } from "./summary.ts";
import { selectKth } from "./select.ts";

// Reference: the type-7 quantile read off a full sort (numpy's np.quantile(method="linear")).
function sortedQuantile(values: Float64Array, p: number): number {
  const s = Float64Array.from(values).sort();
  const h = (s.length - 1) * p;
  const lo = Math.floor(h);
  return s[lo] + (h - lo) * (s[Math.min(lo + 1, s.length - 1)] - s[lo]);
}

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

Deno.test("selectKth gives every order statistic of a sort, and partitions around it", () => {
  const rand = seeded(3);
  for (const n of [1, 2, 3, 10, 257]) {
    const base = Float64Array.from({ length: n }, () => Math.floor(rand() * 7)); // many ties
    const sorted = Float64Array.from(base).sort();
    for (let k = 0; k < n; k++) {
      const a = Float64Array.from(base);
      assert.equal(selectKth(a, k), sorted[k]);
      for (let i = 0; i < k; i++) assert.ok(a[i] <= a[k]);
      for (let i = k + 1; i < n; i++) assert.ok(a[i] >= a[k]);
    }
  }
  assert.throws(() => selectKth(new Float64Array(3), 3), /k 3 outside \[0, 3\)/);
});

Deno.test("quantileInPlace equals the sorted type-7 quantile on random, sorted, reversed and tied inputs", () => {
  const rand = seeded(11);
  const inputs = [
    Float64Array.from({ length: 10_001 }, () => rand() ** 4),
    Float64Array.from({ length: 4096 }, (_, i) => i),
    Float64Array.from({ length: 4096 }, (_, i) => 4096 - i),
    Float64Array.from({ length: 999 }, () => (rand() < 0.9 ? 0 : rand())),
    Float64Array.of(5),
  ];
  for (const values of inputs) {
    for (const p of [0, 0.01, 0.5, 0.9, 0.99, 0.999, 1]) {
      const want = sortedQuantile(values, p);
      assert.equal(quantileInPlace(Float64Array.from(values), p), want, `n=${values.length} p=${p}`);
      assert.equal(quantile(Array.from(values), p), want);
    }
  }
  assert.ok(Number.isNaN(quantileInPlace(new Float64Array(0), 0.5)));
  assert.throws(() => quantileInPlace(Float64Array.of(1), 1.5), /p must be in \[0, 1\]/);
});
