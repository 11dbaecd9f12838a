import assert from "node:assert/strict";
import { finiteDifferenceGradients } from "../../../test/reference/llama_f64.ts";
import { randomIds, tinyModel } from "../../../test/reference/tiny_models.ts";
import { LINEAR_MODULES, linearWeightName } from "../../model/llama_config.ts";
import { LlamaRunner } from "../../model/llama/llama_runner.ts";
import { BIN_EDGES } from "./histogram.ts";
import {
  activationSums,
  canonicalOrder,
  countMeansAbove,
  type DatasetDensity,
  densityTable,
  meanQuantile,
  moduleDensities,
} from "./density.ts";
import { parseGamma } from "./gamma.ts";

Deno.test("parseGamma reads absolute values and quantiles, and names the flag on bad input", () => {
  assert.deepEqual(parseGamma("2e-6"), { kind: "absolute", value: 2e-6, text: "2e-6" });
  assert.deepEqual(parseGamma("0"), { kind: "absolute", value: 0, text: "0" });
  assert.deepEqual(parseGamma("q0.99"), { kind: "quantile", p: 0.99, text: "q0.99" });
  for (const bad of ["", "-1e-6", "abc", "q1", "q0", "q", "q1.5", "Infinity", "0x10"]) {
    assert.throws(() => parseGamma(bad), /Cannot parse --gamma/, bad);
  }
});

Deno.test("canonicalOrder sorts by length, then token by token, whatever the input order", () => {
  const seqs = [[5, 1], [1, 2, 3], [2], [1, 2, 2], [5, 0]];
  assert.deepEqual(canonicalOrder(seqs).map((i) => seqs[i]), [[2], [5, 0], [5, 1], [1, 2, 2], [1, 2, 3]]);
});

/**
 * Mean over samples of |W ⊙ g| with g from central finite differences of the float64 reference (the
 * independent computation): per weight name, float64.
 */
function referenceMeans(
  tiny: ReturnType<typeof tinyModel>,
  seqs: number[][],
): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  for (const ids of seqs) {
    for (const [name, g] of finiteDifferenceGradients(tiny.config, tiny.weights, ids)) {
      const W = tiny.weights.get(name)!;
      const acc = out.get(name) ?? new Float64Array(W.length);
      for (let i = 0; i < W.length; i++) acc[i] += Math.abs(W[i] * g[i]) / seqs.length;
      out.set(name, acc);
    }
  }
  return out;
}

/**
 * A threshold in the widest relative gap between neighbouring reference means around the median, and the
 * margin by which every reference mean misses it: counts can then only differ if an error exceeds it.
 */
function gapThreshold(means: Map<string, Float64Array>): { gamma: number; margin: number } {
  const all = Float64Array.from([...means.values()].flatMap((m) => [...m])).sort();
  let best = { gamma: 0, margin: 0 };
  for (let i = Math.floor(all.length * 0.3); i < all.length * 0.7; i++) {
    const lo = all[i], hi = all[i + 1];
    if (lo <= 0) continue;
    const margin = (hi - lo) / (hi + lo);
    if (margin > best.margin) best = { gamma: Math.sqrt(lo * hi), margin };
  }
  return best;
}

Deno.test("density sums and counts equal a direct computation from finite-difference gradients", async () => {
  const tiny = tinyModel("wide_heads", 5);
  const seqs = [randomIds(tiny.config, 5, 1), randomIds(tiny.config, 3, 2), randomIds(tiny.config, 4, 3)];
  const ref = referenceMeans(tiny, seqs);
  const { gamma, margin } = gapThreshold(ref);
  const layers = [0, 1];
  for (const dtype of ["float64", "float32"] as const) {
    // float64: central differences (h = 1e-5) are within ~1e-8 of the true gradient (see
    // activation_gradient_graph_test.ts), so means agree to 1e-6 · max(1, |x|). float32: forward and backward
    // through 2 layers carry relative errors ~1e-6 of O(1) entries; 1e-4 · max(1, |x|) as in that test.
    const tol = dtype === "float64" ? 1e-6 : 1e-4;
    const runner = new LlamaRunner({ config: tiny.config, weights: tiny.store }, {
      dtype,
      threads: 1,
      cache: false,
    });
    try {
      const sums = await activationSums(runner, seqs, { layers, batchSize: 2 });
      for (const [name, r] of ref) {
        const s = sums.get(name)!;
        assert.equal(s.length, r.length);
        for (let i = 0; i < r.length; i++) {
          const err = Math.abs(s[i] / seqs.length - r[i]) / Math.max(1, Math.abs(r[i]));
          assert(err <= tol, `${dtype} ${name}[${i}]: ${s[i] / seqs.length} vs ${r[i]}`);
        }
      }
      // Counts: γ sits in a gap ≥ `margin` (relative) wider than the errors, so they must agree exactly.
      assert(margin > 1e-3, `no usable gap (${margin})`);
      const mods = moduleDensities(tiny.config, sums, seqs.length, layers, gamma);
      const active = mods.reduce((s, m) => s + m.active!, 0);
      assert(active > 0 && active < mods.reduce((s, m) => s + m.params, 0), "γ must split the parameters");
      for (const m of mods) {
        const r = ref.get(linearWeightName(m.layer, m.module))!;
        assert.equal(m.active, r.filter((x) => x > gamma).length, `${dtype} layer ${m.layer} ${m.module}`);
        assert.equal(m.params, r.length);
        assert.equal(m.histogram.reduce((a, b) => a + b, 0), r.length);
      }
    } finally {
      await runner.release();
    }
  }
});

Deno.test("density sums do not depend on sample order (bit for bit) nor, beyond rounding, on batch size", async () => {
  const tiny = tinyModel("llama3_rope", 2);
  const seqs = [5, 2, 7, 3, 4].map((n, i) => randomIds(tiny.config, n, 40 + i));
  const permuted = [seqs[3], seqs[0], seqs[4], seqs[2], seqs[1]];
  const runner = new LlamaRunner({ config: tiny.config, weights: tiny.store }, { threads: 1, cache: false });
  try {
    const layers = [0, 1];
    const a = await activationSums(runner, seqs, { layers, batchSize: 2 });
    const b = await activationSums(runner, permuted, { layers, batchSize: 2 });
    for (const [name, s] of a) assert.deepEqual(b.get(name), s, `${name}: order changed the sums`);
    // Batch size changes padding and kernel shapes: float32 rounding only, 1e-5 relative (as the runner's
    // batch-vs-singles test). Counts at a γ whose nearest mean is ≥ 1e-3 away (relative) agree exactly.
    const c = await activationSums(runner, permuted, { layers, batchSize: 5 });
    const d = await activationSums(runner, seqs, { layers, batchSize: 1 });
    const means = new Map([...a].map(([n, s]) => [n, Float64Array.from(s, (x) => x / seqs.length)]));
    const { gamma, margin } = gapThreshold(means);
    assert(margin > 1e-3);
    for (const other of [c, d]) {
      for (const [name, s] of a) {
        const o = other.get(name)!;
        s.forEach((x, i) => assert(Math.abs(o[i] - x) <= 1e-5 * Math.max(1, Math.abs(x)), `${name}[${i}]`));
        assert.equal(countMeansAbove(o, seqs.length, gamma), countMeansAbove(s, seqs.length, gamma));
      }
    }
    await assert.rejects(activationSums(runner, seqs, { layers, batchSize: 0 }), /batch size 0/);
    await assert.rejects(activationSums(runner, [], { layers, batchSize: 1 }), /no samples/);
  } finally {
    await runner.release();
  }
});

Deno.test("densityTable: histogram counts on an edge, kept sums and quantiles equal direct counts", async () => {
  const tiny = tinyModel("mha_tied", 9);
  const seqs = [randomIds(tiny.config, 6, 1), randomIds(tiny.config, 4, 2)];
  const runner = new LlamaRunner({ config: tiny.config, weights: tiny.store }, { threads: 1, cache: false });
  let sums: Map<string, Float32Array | Float64Array>;
  try {
    sums = await activationSums(runner, seqs, { layers: [0, 1], batchSize: 2 });
  } finally {
    await runner.release();
  }
  const N = seqs.length;
  const direct = (g: number) => (layer: number, module: string) =>
    countMeansAbove(sums.get(linearWeightName(layer, module as typeof LINEAR_MODULES[number]))!, N, g);
  // A histogram edge near the median of the means.
  const median = meanQuantile([...sums.values()].map((s) => ({ sums: s, samples: N })), 0.5);
  const edge = BIN_EDGES.find((e) => e >= median)!;
  const noActive: DatasetDensity = {
    dataset: "x",
    samples: N,
    modules: moduleDensities(tiny.config, sums, N, [0, 1]),
  };
  const withSums = () => Promise.resolve(sums);
  for (const reader of [null, withSums]) {
    const t = await densityTable([noActive], { kind: "absolute", value: edge, text: String(edge) }, reader);
    assert.equal(t.gamma, edge);
    for (const c of t.counts) {
      assert(c.count.exact);
      if (c.module !== "all") {
        assert.equal(c.count.active, direct(edge)(c.layer, c.module), `${c.layer} ${c.module}`);
      } else {
        const parts = t.counts.filter((x) => x.layer === c.layer && x.module !== "all");
        assert.equal(c.count.active, parts.reduce((s, x) => s + x.count.active, 0));
        assert.equal(c.params, parts.reduce((s, x) => s + x.params, 0));
      }
    }
  }
  // Quantile γ: exact (type 7 over all scored parameters) with kept sums; a bin edge from the histogram alone.
  const q = await densityTable([noActive], { kind: "quantile", p: 0.9, text: "q0.9" }, withSums);
  const all = Float64Array.from([...sums.values()].flatMap((s) => Array.from(s, (x) => x / N))).sort();
  const h = (all.length - 1) * 0.9;
  const lo = Math.floor(h);
  assert.equal(q.gamma, all[lo] + (h - lo) * (all[lo + 1] - all[lo]));
  for (const c of q.counts.filter((x) => x.module !== "all")) {
    assert.equal(c.count.active, direct(q.gamma)(c.layer, c.module));
  }
  const qh = await densityTable([noActive], { kind: "quantile", p: 0.9, text: "q0.9" }, null);
  assert(BIN_EDGES.includes(qh.gamma));
  assert.match(qh.note, /histogram edge/);
  for (const c of qh.counts.filter((x) => x.module !== "all")) {
    assert(c.count.exact);
    assert.equal(c.count.active, direct(qh.gamma)(c.layer, c.module));
  }
  // γ inside a bin, histogram only: bounds around the direct count, flagged inexact where the bin is occupied.
  const inside = edge * 1.03;
  const ti = await densityTable([noActive], { kind: "absolute", value: inside, text: "in" }, null);
  for (const c of ti.counts.filter((x) => x.module !== "all")) {
    const d = direct(inside)(c.layer, c.module);
    assert(c.count.low <= d && d <= c.count.high);
  }
});

Deno.test("meanQuantile: the type-7 quantile of sums / samples over every pool; a NaN mean is named", () => {
  const pools = [
    { sums: Float32Array.of(4, 8, 2), samples: 2 },
    { sums: Float64Array.of(10, 0), samples: 5 },
  ];
  // Means 2, 4, 1, 2, 0 → sorted 0, 1, 2, 2, 4: q0.5 = 2, q0.9 = 2 + 0.6 · 2 = 3.2.
  assert.equal(meanQuantile(pools, 0.5), 2);
  assert.ok(Math.abs(meanQuantile(pools, 0.9) - 3.2) < 1e-12);
  assert.throws(
    () => meanQuantile([{ sums: Float32Array.of(1, NaN), samples: 1 }], 0.5),
    /a mean activation is NaN \(value 1\)/,
  );
});
