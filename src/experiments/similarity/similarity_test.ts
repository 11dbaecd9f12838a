import assert from "node:assert/strict";
import { finiteDifferenceGradients } from "../../../test/reference/llama_f64.ts";
import { randomIds, tinyModel } from "../../../test/reference/tiny_models.ts";
import { LINEAR_MODULES, linearWeightName } from "../../model/llama_config.ts";
import { LlamaRunner } from "../../model/llama/llama_runner.ts";
import { layerSimilarity, pairSimilarities, similaritySummary } from "./similarity.ts";
import { parsePairs } from "./run.ts";

Deno.test("an input with itself has similarity exactly 1; similarity is exactly symmetric", async () => {
  for (
    const [name, dtype] of [["gqa_untied", "float32"], ["qkv_bias_gqa", "float32"], [
      "mha_tied",
      "float64",
    ]] as const
  ) {
    const tiny = tinyModel(name, 4);
    const seqs = [6, 3, 5].map((n, i) => randomIds(tiny.config, n, 20 + i));
    const runner = new LlamaRunner({ config: tiny.config, weights: tiny.store }, {
      dtype,
      threads: 1,
      cache: false,
    });
    try {
      const layers = [0, 1];
      const pairs = [
        [seqs[0], seqs[0]],
        [seqs[1], seqs[1]],
        [seqs[0], seqs[1]],
        [seqs[1], seqs[0]],
        [seqs[2], seqs[0]],
        [seqs[0], seqs[2]],
      ] as const;
      // Batches of 1, 2 and 4 pairs: self-similarity and symmetry must hold in any batch layout.
      for (const batchSize of [1, 2, 4]) {
        const sims = await pairSimilarities(runner, pairs, { layers, batchSize });
        for (const p of [0, 1]) {
          sims[p].forEach((s, l) => assert.equal(s, 1, `${name} b${batchSize} self ${p} layer ${l}`));
        }
        for (const [p, q] of [[2, 3], [4, 5]]) {
          assert.deepEqual(sims[p], sims[q], `${name} b${batchSize} pair ${p} vs ${q}`);
        }
        for (const s of sims) s.forEach((x) => assert(x > 0 && x <= 1 + 1e-12));
        assert(sims[2][0] < 1, "different inputs are not identical");
      }
    } finally {
      await runner.release();
    }
  }
});

Deno.test("similarities equal a direct computation from finite-difference gradients", async () => {
  const tiny = tinyModel("wide_heads", 6);
  const a = randomIds(tiny.config, 5, 1), b = randomIds(tiny.config, 3, 2);
  const [ga, gb] = [a, b].map((ids) => finiteDifferenceGradients(tiny.config, tiny.weights, ids));
  const runner = new LlamaRunner({ config: tiny.config, weights: tiny.store }, {
    dtype: "float64",
    threads: 1,
    cache: false,
  });
  try {
    const [sim] = await pairSimilarities(runner, [[a, b]], { layers: [0, 1], batchSize: 1 });
    for (const layer of [0, 1]) {
      // The paper's formula over the concatenated 7 matrices, from v = W ⊙ g (central differences, float64).
      let dot = 0, aa = 0, bb = 0;
      for (const m of LINEAR_MODULES) {
        const name = linearWeightName(layer, m);
        const W = tiny.weights.get(name)!;
        const va = ga.get(name)!, vb = gb.get(name)!;
        for (let i = 0; i < W.length; i++) {
          const x = W[i] * va[i], y = W[i] * vb[i];
          dot += Math.abs(x * y);
          aa += x * x;
          bb += y * y;
        }
      }
      const expected = dot / Math.sqrt(aa) / Math.sqrt(bb);
      // Gradient entries carry ≲1e-8 absolute error from the differences (activation_gradient_graph_test.ts);
      // a ratio of sums of products of O(1) entries keeps that relative scale: 1e-6 absolute.
      assert(Math.abs(sim[layer] - expected) <= 1e-6, `layer ${layer}: ${sim[layer]} vs ${expected}`);
      assert(expected > 0.05 && expected < 0.999, `layer ${layer}: ${expected} does not discriminate`);
    }
  } finally {
    await runner.release();
  }
});

Deno.test("layerSimilarity sums the matrices before dividing and refuses a vanishing v", () => {
  const s = layerSimilarity([{ dot: 1, aa: 4, bb: 1 }, { dot: 2, aa: 5, bb: 8 }]);
  assert.equal(s, 3 / Math.sqrt(9 * 9));
  assert.throws(
    () => layerSimilarity([{ dot: 0, aa: 0, bb: 1 }], "pair 3 at layer 2"),
    /v vanishes for pair 3 at layer 2/,
  );
});

Deno.test("similaritySummary gives mean, std (ddof 1), quartiles (type 7) per layer", () => {
  const values = [0.1, 0.4, 0.2, 0.3].map((x) => Float64Array.from([x, 1 - x]));
  const [l0, l1] = similaritySummary("a", "b", [3, 4], values);
  assert.equal(l0.layer, 3);
  assert(Math.abs((l0.mean as number) - 0.25) < 1e-15);
  assert(Math.abs((l0.std as number) - Math.sqrt(0.05 / 3)) < 1e-15);
  assert(Math.abs((l0.median as number) - 0.25) < 1e-15);
  assert(Math.abs((l0.q1 as number) - 0.175) < 1e-15);
  assert(Math.abs((l0.q3 as number) - 0.325) < 1e-15);
  assert.equal(l0.n, 4);
  assert(Math.abs((l1.mean as number) - 0.75) < 1e-15);
});

Deno.test("parsePairs reads a:b lists and names the flag on bad input", () => {
  assert.deepEqual(parsePairs("boolq:boolq, siqa:c4"), [["boolq", "boolq"], ["siqa", "c4"]]);
  for (const bad of ["", "boolq", "a:b:c", ":b"]) {
    assert.throws(() => parsePairs(bad), /Cannot parse --pairs/, bad);
  }
});
