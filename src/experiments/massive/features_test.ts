import assert from "node:assert/strict";
import { referenceForward } from "../../../test/reference/llama_f64.ts";
import { randomIds, tinyModel } from "../../../test/reference/tiny_models.ts";
import { LlamaRunner } from "../../model/llama/llama_runner.ts";
import { FEATURE_PROMPT, featureEntries, residualAt } from "./features.ts";

Deno.test("the prompt's residual stream after a layer equals the f64 reference's; every entry tabulated", async () => {
  assert.equal(FEATURE_PROMPT, "Summer is warm. Winter is cold.");
  const { config, weights, store } = tinyModel("llama3_rope", 6);
  const runner = new LlamaRunner({ config, weights: store }, { dtype: "float64", threads: 1, cache: false });
  try {
    const ids = randomIds(config, 6, 11);
    const trace = referenceForward(config, weights, ids);
    for (let layer = 0; layer < config.numLayers; layer++) {
      const got = await residualAt(runner, ids, layer);
      const want = trace.hidden[layer + 1].flatMap((row) => Array.from(row));
      // float64 graph vs float64 loops: 1e-9 relative to max(1, |x|).
      want.forEach((w, i) =>
        assert(Math.abs(got[i] - w) <= 1e-9 * Math.max(1, Math.abs(w)), `${layer} ${i}`)
      );
    }
    await assert.rejects(residualAt(runner, ids, config.numLayers), /Cannot parse --feature-layer/);
  } finally {
    await runner.release();
  }
});

Deno.test("featureEntries: massive against this state's median (lower median), top 3 by magnitude", () => {
  // 2 tokens × 4 dims; |x| sorted: 0.1 ×5, 0.2, 300, −900 → lower median 0.1, threshold max(100, 1000 × 0.1).
  const data = Float64Array.of(0.1, 300, 0.1, 0.1, -900, 0.2, 0.1, 0.1);
  const e = featureEntries(data, [11, 12], 4, { absolute: 100, ratio: 1000 });
  assert.equal(e.length, 8);
  assert.deepEqual(e.filter((x) => x.massive).map((x) => [x.position, x.dimension, x.tokenId, x.value]), [
    [0, 1, 11, 300],
    [1, 0, 12, -900],
  ]);
  assert.deepEqual(e.filter((x) => x.top).map((x) => [x.position, x.dimension]), [[0, 1], [1, 0], [1, 1]]);
  assert.throws(() => featureEntries(data, [1], 4, { absolute: 0, ratio: 0 }), /Cannot tabulate/);
});
