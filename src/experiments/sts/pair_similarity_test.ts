import assert from "node:assert/strict";
import { LINEAR_MODULES, linearWeightName } from "../../model/llama_config.ts";
import { LlamaRunner } from "../../model/llama/llama_runner.ts";
import { finiteDifferenceGradients } from "../../../test/reference/llama_f64.ts";
import { randomIds, tinyModel } from "../../../test/reference/tiny_models.ts";
import type { TokenPair } from "./hidden_similarity.ts";
import { layerActivationSimilarity, type PairSimilarities, pairSimilarities } from "./pair_similarity.ts";

Deno.test("layer activation similarity from per-matrix sums, by hand", () => {
  // Matrices concatenated: Σ|v_a v_b| = 1 + 2, ‖v_a‖² = 4 + 5, ‖v_b‖² = 1 + 8 → 3 / (3 · 3).
  const sums = [{ dot: 1, aa: 4, bb: 1 }, { dot: 2, aa: 5, bb: 8 }];
  assert.equal(layerActivationSimilarity(sums), 1 / 3);
  assert.throws(
    () => layerActivationSimilarity([{ dot: 0, aa: 0, bb: 1 }]),
    /Cannot compute an activation similarity: W ⊙ ∂y\/∂W of one sentence is zero/,
  );
});

/**
 * Central differences (h = 1e-5) on the float64 reference are accurate to ~1e-9 per gradient entry (see
 * activation_gradient_graph_test.ts); a similarity is a ratio of sums of thousands of such products, each of
 * relative error ~1e-8 at worst, so 1e-6 on a value in [0, 1] leaves two orders of margin.
 */
const FD_TOLERANCE = 1e-6;

Deno.test("activation similarities equal Σ|v_a v_b|/(‖v_a‖‖v_b‖) over the layer from finite differences", async () => {
  // Finite differences cost one reference forward per weight entry: short sentences on one tiny config
  // (MHA; its 7 matrices have three different shapes) keep this to a few seconds. GQA and bias variants of
  // the per-matrix sums are checked in activation_gradient_graph_test.ts.
  for (const [name, layers] of [["mha_tied", [0, 1]]] as const) {
    const { config, weights, store } = tinyModel(name, 2);
    const bos = config.bosTokenId!;
    const pairs: TokenPair[] = [
      { a: [bos, ...randomIds(config, 2, 11)], b: [bos, ...randomIds(config, 3, 12)] },
      { a: [bos, ...randomIds(config, 1, 13)], b: [bos, ...randomIds(config, 1, 14)] },
      { a: [bos, ...randomIds(config, 3, 15)], b: [bos, ...randomIds(config, 1, 16)] },
    ];
    const runner = new LlamaRunner({ config, weights: store }, {
      dtype: "float64",
      threads: 1,
      cache: false,
    });
    let sims: PairSimilarities;
    try {
      // Two graph calls (2 + 1 pairs): batching and padding must not matter.
      sims = await pairSimilarities(runner, pairs, { layers, batchPairs: 2, bosTokenId: bos });
    } finally {
      await runner.release();
    }
    assert.deepEqual(sims.layers, layers);
    assert.equal(sims.activation.length, pairs.length);
    pairs.forEach((pair, p) => {
      const [ga, gb] = [pair.a, pair.b].map((ids) =>
        finiteDifferenceGradients(config, weights, ids, { layers: [...layers] })
      );
      layers.forEach((l, k) => {
        // The layer's 7 matrices as one vector v = W ⊙ ∂y/∂W per sentence.
        const va: number[] = [], vb: number[] = [];
        for (const m of LINEAR_MODULES) {
          const wname = linearWeightName(l, m);
          const W = weights.get(wname)!;
          W.forEach((w, i) => {
            va.push(w * ga.get(wname)![i]);
            vb.push(w * gb.get(wname)![i]);
          });
        }
        let dot = 0, aa = 0, bb = 0;
        va.forEach((x, i) => {
          dot += Math.abs(x * vb[i]);
          aa += x * x;
          bb += vb[i] * vb[i];
        });
        const expected = dot / Math.sqrt(aa * bb);
        const got = sims.activation[p][k];
        assert(
          Math.abs(got - expected) <= FD_TOLERANCE,
          `${name} pair ${p} layer ${l}: ${got} vs ${expected}`,
        );
      });
    });
  }
});
