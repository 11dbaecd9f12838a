import assert from "node:assert/strict";
import { finiteDifferenceGradients, referenceY } from "../../../test/reference/llama_f64.ts";
import { randomIds, TINY_CONFIGS, tinyModel } from "../../../test/reference/tiny_models.ts";
import { LINEAR_MODULES, linearWeightName } from "../llama_config.ts";
import { type ActivationGradients, densityChunks, LlamaRunner } from "./llama_runner.ts";

/**
 * Central differences with h = 1e-5 on the float64 reference carry truncation error ~h²·|y'''| and rounding
 * error ~1e-16·|y|/h, both ≲1e-9 per gradient entry here (|W| < 4, so ≲4e-9 per |v| entry; observed ≤5e-8
 * for sums over a pair of samples). The float64 graph must match to |Δ| ≤ 1e-6 · max(1, |expected|).
 */
const FD_TOLERANCE = 1e-6;

function close(actual: number, expected: number, tol: number, what: string) {
  const err = Math.abs(actual - expected) / Math.max(1, Math.abs(expected));
  assert(err <= tol, `${what}: ${actual} vs ${expected} (relative error ${err} > ${tol})`);
}

Deno.test("activation gradients match finite differences of the float64 reference on every tiny config", async () => {
  for (const name of Object.keys(TINY_CONFIGS)) {
    const { config, weights, store } = tinyModel(name, 1);
    const pair = [randomIds(config, 3, 1), randomIds(config, 2, 2)]; // different lengths: one padded row
    const fd = pair.map((ids) => finiteDifferenceGradients(config, weights, ids));
    const runner = new LlamaRunner({ config, weights: store }, {
      dtype: "float64",
      threads: 1,
      cache: false,
    });
    try {
      const res = await runner.activationGradients(pair, { density: true, similarity: true });
      pair.forEach((ids, b) => close(res.y[b], referenceY(config, weights, ids), 1e-12, `${name} y[${b}]`));
      for (let l = 0; l < config.numLayers; l++) {
        for (const m of LINEAR_MODULES) {
          const wname = linearWeightName(l, m);
          const W = weights.get(wname)!;
          const [va, vb] = fd.map((f) => f.get(wname)!.map((g, i) => g * W[i]));
          const density = res.density!.get(wname)!;
          assert.equal(density.length, W.length);
          let dot = 0, aa = 0, bb = 0;
          for (let i = 0; i < W.length; i++) {
            close(
              density[i],
              Math.abs(va[i]) + Math.abs(vb[i]),
              FD_TOLERANCE,
              `${name} ${wname}[${i}] density`,
            );
            dot += Math.abs(va[i] * vb[i]);
            aa += va[i] * va[i];
            bb += vb[i] * vb[i];
          }
          const [sim] = res.similarity!.get(wname)!;
          close(sim.dot, dot, FD_TOLERANCE, `${name} ${wname} Σ|v_a v_b|`);
          close(sim.aa, aa, FD_TOLERANCE, `${name} ${wname} Σv_a²`);
          close(sim.bb, bb, FD_TOLERANCE, `${name} ${wname} Σv_b²`);
          assert(aa > 0 && bb > 0, `${name} ${wname}: v vanishes`);
        }
      }
    } finally {
      await runner.release();
    }
  }
});

function assertSame(a: ActivationGradients, b: ActivationGradients, tol: number, what: string) {
  for (const [name, d] of b.density ?? []) {
    const other = a.density!.get(name)!;
    d.forEach((x, i) => close(other[i], x, tol, `${what} density ${name}[${i}]`));
  }
  for (const [name, pairs] of b.similarity ?? []) {
    pairs.forEach((p, k) => {
      const q = a.similarity!.get(name)![k];
      close(q.dot, p.dot, tol, `${what} ${name} pair ${k} dot`);
      close(q.aa, p.aa, tol, `${what} ${name} pair ${k} aa`);
      close(q.bb, p.bb, tol, `${what} ${name} pair ${k} bb`);
    });
  }
}

Deno.test("a batch of samples of different lengths gives the same result as one sample (or pair) at a time", async () => {
  for (const name of ["gqa_untied", "qkv_bias_gqa"]) {
    const { config, store } = tinyModel(name, 3);
    const seqs = [5, 2, 3, 6].map((n, i) => randomIds(config, n, 30 + i));
    for (const dtype of ["float64", "float32"] as const) {
      // Padding only reorders summation inside batched kernels: float64 1e-10, float32 1e-5 relative.
      const tol = dtype === "float64" ? 1e-10 : 1e-5;
      const runner = new LlamaRunner({ config, weights: store }, { dtype, threads: 1, cache: false });
      try {
        const batch = await runner.activationGradients(seqs, { similarity: true });
        // Density is a sum over samples: add up the single-sample results.
        const singles = await Promise.all(seqs.map((s) => runner.activationGradients([s])));
        const summed: ActivationGradients = {
          y: Float64Array.from(singles.map((s) => s.y[0])),
          density: new Map(),
        };
        for (const [n, d] of singles[0].density!) {
          summed.density!.set(n, d.map((_, i) => singles.reduce((acc, s) => acc + s.density!.get(n)![i], 0)));
        }
        batch.y.forEach((y, b) => close(y, summed.y[b], tol, `${name} ${dtype} y[${b}]`));
        assertSame(batch, summed, tol, `${name} ${dtype} batch vs singles`);
        for (let p = 0; p < 2; p++) {
          const alone = await runner.activationGradients(seqs.slice(2 * p, 2 * p + 2), {
            density: false,
            similarity: true,
          });
          const sub: ActivationGradients = {
            y: alone.y,
            similarity: new Map([...batch.similarity!].map(([n, v]) => [n, [v[p]]])),
          };
          assertSame(alone, sub, tol, `${name} ${dtype} pair ${p}`);
        }
      } finally {
        await runner.release();
      }
    }
  }
});

Deno.test("a layer group gives the same values as the full graph, and float32 agrees with float64", async () => {
  const { config, store } = tinyModel("llama3_rope", 4);
  const seqs = [randomIds(config, 5, 1), randomIds(config, 4, 2)];
  const r64 = new LlamaRunner({ config, weights: store }, { dtype: "float64", threads: 1, cache: false });
  const r32 = new LlamaRunner({ config, weights: store }, { dtype: "float32", threads: 1, cache: false });
  try {
    const full = await r64.activationGradients(seqs, { similarity: true });
    const group = await r64.activationGradients(seqs, { layers: [1], similarity: true });
    assert.deepEqual([...group.density!.keys()], LINEAR_MODULES.map((m) => linearWeightName(1, m)));
    assertSame(full, group, 1e-12, "layer group [1]");
    // float32 forward and backward through 2 layers: relative error of O(1) entries ~1e-6; allow 1e-4
    // against max(1, |x|).
    const f32 = await r32.activationGradients(seqs, { similarity: true });
    assertSame(f32, full, 1e-4, "float32 vs float64");
    await assert.rejects(r64.activationGradients(seqs.slice(0, 1), { similarity: true }), /even number/);
    await assert.rejects(r64.activationGradients(seqs, { layers: [2] }), /layer 2 is outside \[0, 2\)/);
  } finally {
    await r64.release();
    await r32.release();
  }
});

Deno.test("running density sums equal the per-batch sums added up; sums of other layers are refused", async () => {
  const { config, store } = tinyModel("gqa_untied", 3);
  const seqs = [5, 3, 4, 2, 6].map((n, i) => randomIds(config, n, 40 + i));
  const runner = new LlamaRunner({ config, weights: store }, { dtype: "float64", threads: 1, cache: false });
  try {
    const layers = [1];
    const first = await runner.accumulateDensity(seqs.slice(0, 2), { layers });
    const second = await runner.accumulateDensity(seqs.slice(2), { layers, sums: first.sums });
    await assert.rejects(
      runner.accumulateDensity(seqs.slice(0, 1), { layers: [0], sums: second.sums }),
      /running sums are for other weights than layers \[0\]/,
    );
    const running = await runner.densitySumsToHost(second.sums);
    const a = await runner.activationGradients(seqs.slice(0, 2), { layers });
    const b = await runner.activationGradients(seqs.slice(2), { layers });
    assert.deepEqual([...first.y, ...second.y], [...a.y, ...b.y]);
    assert.deepEqual([...running.keys()].sort(), [...a.density!.keys()].sort());
    assert.equal(running.size, layers.length * LINEAR_MODULES.length);
    for (const [name, sum] of running) {
      const [x, y] = [a.density!.get(name)!, b.density!.get(name)!];
      // float64 in both: (0 + x) + y in the graph is the same rounding as x + y here.
      assert.deepEqual(sum, Float64Array.from(x, (v, i) => v + y[i]), name);
    }
  } finally {
    await runner.release();
  }
});

Deno.test("density sums through the Loop graph (batched products, chunks, weight-0 padding) equal the per-batch path", async () => {
  const { config, store } = tinyModel("qkv_bias_gqa", 5);
  // Batches of 3, 3, 2 samples; the third batch is long enough to start a chunk of its own, and is short (one
  // padding sample of weight 0): two chunks, the second fed the first's sums.
  const lengths = [[3, 4, 2], [5, 4, 3], [40, 38]];
  const batches = lengths.map((b, i) => b.map((n, j) => randomIds(config, n, 60 + 10 * i + j)));
  assert.deepEqual(densityChunks(batches).map((c) => c.length), [2, 1]);
  for (const dtype of ["float64", "float32"] as const) {
    // Same values summed in another order (batched MatMul and ReduceSum vs the chain): float64 1e-10,
    // float32 1e-5 relative to max(1, |x|).
    const tol = dtype === "float64" ? 1e-10 : 1e-5;
    const plain = new LlamaRunner({ config, weights: store }, { dtype, threads: 1, cache: false });
    const looped = new LlamaRunner({ config, weights: store }, {
      dtype,
      threads: 1,
      cache: false,
      densityLoop: true,
    });
    try {
      const ys: { plain: number[]; looped: number[] } = { plain: [], looped: [] };
      const want = await plain.densitySums(batches, {
        layers: [1],
        onBatch: (_, y) => ys.plain.push(...y),
      });
      const sizes: number[] = [];
      const got = await looped.densitySums(batches, {
        layers: [1],
        onBatch: (n, y) => {
          sizes.push(n);
          ys.looped.push(...y);
        },
      });
      assert.deepEqual(sizes, [3, 3, 2]);
      assert.equal(ys.looped.length, 8);
      ys.looped.forEach((y, i) => close(y, ys.plain[i], tol, `${dtype} y[${i}]`));
      assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
      assert.equal(got.size, LINEAR_MODULES.length);
      for (const [name, sum] of want) {
        const other = got.get(name)!;
        assert.equal(other.length, sum.length, name);
        sum.forEach((x, i) => close(other[i], x, tol, `${dtype} ${name}[${i}]`));
        assert(sum.some((x) => x > 0), `${name}: all zero`);
      }
    } finally {
      await plain.release();
      await looped.release();
    }
  }
});
