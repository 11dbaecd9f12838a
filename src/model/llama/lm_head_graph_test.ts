import assert from "node:assert/strict";
import { referenceForward, referenceLogProbs } from "../../../test/reference/llama_f64.ts";
import { randomIds, tinyModel } from "../../../test/reference/tiny_models.ts";
import { LlamaRunner } from "./llama_runner.ts";

Deno.test("embedding → decoder blocks → LM head reproduces the reference log-probs, batch padded", async () => {
  for (const name of ["mha_tied", "gqa_untied"]) {
    const { config, weights, store } = tinyModel(name, 9);
    const seqs = [randomIds(config, 5, 1), randomIds(config, 2, 2)];
    const targets = [randomIds(config, 5, 3), randomIds(config, 2, 4)];
    const runner = new LlamaRunner({ config, weights: store }, {
      dtype: "float64",
      threads: 1,
      cache: false,
    });
    try {
      let { hidden, mask } = await runner.embed(seqs);
      for (let l = 0; l < config.numLayers; l++) {
        hidden = (await runner.decoderBlock(l, hidden, mask, { statistics: false })).hidden!;
      }
      const got = await runner.headLogProbs(hidden, targets);
      seqs.forEach((ids, b) => {
        const want = referenceLogProbs(referenceForward(config, weights, ids).logits, targets[b]);
        assert.equal(got[b].length, ids.length);
        // float64 graph vs float64 reference: summation order only (see causal_lm_graph_test.ts).
        want.forEach((x, t) =>
          assert(Math.abs(got[b][t] - x) <= 1e-6 * Math.max(1, Math.abs(x)), `${name} ${b} ${t}`)
        );
      });
      await assert.rejects(runner.headLogProbs(hidden, [targets[0]]), /1 target rows for a batch of 2/);
    } finally {
      await runner.release();
    }
  }
});
