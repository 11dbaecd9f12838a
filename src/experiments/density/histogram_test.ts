import assert from "node:assert/strict";
import { mulberry32 } from "../../../test/fixtures/random.ts";
import {
  addMeans,
  BIN_COUNT,
  BIN_EDGES,
  binBounds,
  binIndex,
  countAbove,
  isBinEdge,
  nearestEdgeQuantile,
} from "./histogram.ts";

/** Reference binning by a linear scan over the edges (the definition in the module doc). */
function bruteBin(x: number): number {
  if (x <= BIN_EDGES[0]) return 0;
  for (let k = 1; k < BIN_EDGES.length; k++) if (x <= BIN_EDGES[k]) return k;
  return BIN_COUNT - 1;
}

/** The next double above / below a positive x. */
function nextUp(x: number): number {
  const f = new Float64Array([x]);
  const u = new BigUint64Array(f.buffer);
  u[0] += 1n;
  return f[0];
}
function nextDown(x: number): number {
  const f = new Float64Array([x]);
  const u = new BigUint64Array(f.buffer);
  u[0] -= 1n;
  return f[0];
}

/** Values spread log-uniformly over 1e-15 … 1e4, plus zeros, edges and their neighbours. */
function testValues(n: number, seed: number): Float64Array {
  const u = mulberry32(seed);
  const out: number[] = [0, 0, Number.MAX_VALUE];
  for (let i = 0; i < n; i++) out.push(10 ** (-15 + 19 * u()));
  for (const e of BIN_EDGES) out.push(e, nextUp(e), nextDown(e));
  return Float64Array.from(out);
}

Deno.test("edges: 20 per decade from 1e-12 to 1e2, ascending, within 4 % of 10^(j/20), paper thresholds on edges", () => {
  assert.equal(BIN_EDGES.length, 14 * 20 + 1);
  assert.equal(BIN_COUNT, BIN_EDGES.length + 1);
  assert.equal(BIN_EDGES[0], 1e-12);
  assert.equal(BIN_EDGES[BIN_EDGES.length - 1], 100);
  for (let k = 1; k < BIN_EDGES.length; k++) {
    assert(BIN_EDGES[k] > BIN_EDGES[k - 1], `edge ${k} not ascending`);
    const ideal = 10 ** (-12 + k / 20);
    assert(Math.abs(BIN_EDGES[k] / ideal - 1) < 0.04, `edge ${k} = ${BIN_EDGES[k]} is far from ${ideal}`);
  }
  // distribution_draw.py uses 2e-6 and 5e-6; the paper's text 2e-5. Parsed flags give the same doubles.
  for (const g of ["2e-6", "5e-6", "2e-5", "1e-4", "2.5e-3"]) {
    assert(isBinEdge(Number(g)), `${g} is not an edge`);
  }
  assert(!isBinEdge(2.1e-6));
  assert.deepEqual(binBounds(0), { lower: 0, upper: 1e-12 });
  assert.deepEqual(binBounds(BIN_COUNT - 1), { lower: 100, upper: Infinity });
  assert.throws(() => binBounds(BIN_COUNT), /outside/);
});

Deno.test("binIndex and addMeans agree with a linear scan over the edges, edges and their neighbours included", () => {
  const xs = testValues(20000, 7);
  for (const x of xs) assert.equal(binIndex(x), bruteBin(x), `x = ${x}`);
  assert.throws(() => binIndex(NaN), /NaN/);
  // addMeans bins sums / samples: feed samples = 1 with float64 sums to bin exactly these values.
  const hist = new Float64Array(BIN_COUNT);
  const gamma = 2e-6;
  const above = addMeans(hist, xs, 1, "test", gamma);
  const ref = new Float64Array(BIN_COUNT);
  for (const x of xs) ref[bruteBin(x)]++;
  assert.deepEqual(hist, ref);
  assert.equal(above, xs.filter((x) => x > gamma).length);
  // The mean is sums[i] / samples in float64, from float32 sums too.
  const f32 = Float32Array.from([3e-6, 9e-6, 1e-13]);
  const h2 = new Float64Array(BIN_COUNT);
  assert.equal(addMeans(h2, f32, 3, "f32", 2e-6), 1);
  assert.equal(h2[bruteBin(f32[1] / 3)], 1);
  assert.throws(
    () => addMeans(new Float64Array(BIN_COUNT), Float32Array.from([NaN]), 1, "w"),
    /w\[0\] is NaN/,
  );
  assert.throws(
    () => addMeans(new Float64Array(BIN_COUNT), Float32Array.from([1, Infinity]), 2, "w"),
    /w\[1\] is infinite \(an overflow/,
  );
});

Deno.test("countAbove is exact on every edge and brackets the true count inside a bin", () => {
  const xs = testValues(5000, 11);
  const hist = new Float64Array(BIN_COUNT);
  addMeans(hist, xs, 1, "test");
  const truth = (g: number) => xs.filter((x) => x > g).length;
  for (const e of BIN_EDGES) {
    const c = countAbove(hist, e);
    assert(c.exact, `edge ${e} not exact`);
    assert.equal(c.estimate, truth(e));
    assert.equal(c.lower, c.upper);
  }
  const u = mulberry32(3);
  for (let i = 0; i < 500; i++) {
    const g = 10 ** (-13 + 16 * u());
    const c = countAbove(hist, g);
    const t = truth(g);
    assert(c.lower <= t && t <= c.upper, `γ ${g}: ${t} outside [${c.lower}, ${c.upper}]`);
    assert(c.lower <= c.estimate && c.estimate <= c.upper);
    if (!isBinEdge(g)) assert.equal(c.exact, hist[binIndex(g)] === 0);
  }
  assert.equal(countAbove(hist, -1).estimate, xs.length);
  assert.throws(() => countAbove(new Float64Array(3), 1), /bins/);
});

Deno.test("nearestEdgeQuantile returns the edge whose fraction above is nearest 1 − p", () => {
  const xs = testValues(10000, 5);
  const hist = new Float64Array(BIN_COUNT);
  addMeans(hist, xs, 1, "test");
  for (const p of [0.5, 0.9, 0.99]) {
    const { gamma, fractionAbove } = nearestEdgeQuantile(hist, p);
    assert(isBinEdge(gamma));
    const frac = (g: number) => xs.filter((x) => x > g).length / xs.length;
    assert.equal(fractionAbove, frac(gamma));
    for (const e of BIN_EDGES) {
      assert(
        Math.abs(frac(e) - (1 - p)) >= Math.abs(fractionAbove - (1 - p)) - 1e-15,
        `edge ${e} is nearer for p ${p}`,
      );
    }
  }
  assert.throws(() => nearestEdgeQuantile(new Float64Array(BIN_COUNT), 0.5), /empty/);
});
