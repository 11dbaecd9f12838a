import assert from "node:assert/strict";
import { referenceForward } from "../../../test/reference/llama_f64.ts";
import { memoryWeightStore, randomIds, tinyModel } from "../../../test/reference/tiny_models.ts";
import { LlamaRunner } from "../../model/llama/llama_runner.ts";
import { collectHiddenStats } from "./analysis.ts";
import { attentionMassRows, attentionTokens } from "./attention_mass.ts";
import { PAPER_CRITERION } from "./hidden_stats.ts";

Deno.test("attention mass on massive tokens equals a direct f64 sum of the reference's attention probabilities", async () => {
  // 8000 in dimension 5 of the BOS embedding and of token 7's: massive at position 0 and wherever token 7 is.
  const { config, weights } = tinyModel("gqa_untied", 8);
  const planted = new Map(weights);
  const embed = planted.get("model.embed_tokens.weight")!.slice();
  const bos = config.bosTokenId!;
  for (const id of [bos, 7]) embed[id * config.hiddenSize + 5] = 8000;
  planted.set("model.embed_tokens.weight", embed);
  const runner = new LlamaRunner({ config, weights: memoryWeightStore(planted, config) }, {
    dtype: "float64",
    threads: 1,
    cache: false,
  });
  try {
    const clean = (seed: number) => randomIds(config, 9, seed).map((id) => id === bos || id === 7 ? 3 : id);
    const sequences = [[bos, ...clean(1)], [bos, ...clean(2)]];
    sequences[1][4] = 7; // a second massive token in sequence 1
    const keyMass: Float64Array[][] = sequences.map(() => []);
    const stats = await collectHiddenStats(runner, sequences, {
      criterion: PAPER_CRITERION,
      batch: 2,
      onAttention: (i, l, km) => keyMass[i][l] = Float64Array.from(km),
    });
    const tokens = attentionTokens(stats);
    assert.equal(tokens.set, "massive");
    assert.deepEqual(tokens.positions, [[0], [0, 4]]);
    const rows = attentionMassRows(keyMass, tokens, config.numHeads);
    assert.equal(rows.length, config.numLayers * config.numHeads);

    const traces = sequences.map((ids) => referenceForward(config, planted, ids));
    for (const r of rows) {
      // Per sequence: mean over queries t of Σ_{s ∈ M, s ≤ t} p(t, s), then mean over sequences.
      const per = traces.map((tr, i) => {
        const probs = tr.attention[r.layer][r.head];
        const m = probs.reduce(
          (acc, row) => acc + tokens.positions[i].reduce((a, s) => a + (row[s] ?? 0), 0),
          0,
        );
        return m / probs.length;
      });
      const first = traces.map((tr) => tr.attention[r.layer][r.head].reduce((a, row) => a + row[0], 0) / 10);
      const want = (per[0] + per[1]) / 2;
      // float64 graph vs float64 loops: 1e-9 absolute on probabilities.
      assert(Math.abs(r.mass - want) <= 1e-9, `layer ${r.layer} head ${r.head}: ${r.mass} vs ${want}`);
      assert(Math.abs(r.firstTokenMass - (first[0] + first[1]) / 2) <= 1e-9);
      assert.equal(r.tokens, 1.5);
    }
  } finally {
    await runner.release();
  }
});

Deno.test("no massive activation anywhere: the token of the largest |activation| per sequence", () => {
  const layer = (position: number, value: number) => ({
    top: [{ position, dimension: 0, value }],
    median: 1,
    massiveCount: 0,
    massive: [],
  });
  const tokens = attentionTokens([[layer(3, 2), layer(1, -9)], [layer(2, 4), layer(0, 3)]]);
  assert.deepEqual(tokens, { set: "largest", positions: [[1], [2]] });
  // keyMass [heads=1 × T=4]: Σ over queries of the attention each key gets (each query row sums to 1).
  const km = [[Float64Array.of(4, 0, 0, 0), Float64Array.of(1, 2, 1, 0)], [
    Float64Array.of(2, 1, 1, 0),
    Float64Array.of(1, 1, 1, 1),
  ]];
  const rows = attentionMassRows(km, tokens, 1);
  assert.deepEqual(rows.map((r) => [r.layer, r.mass, r.firstTokenMass]), [
    [0, (0 / 4 + 1 / 4) / 2, (4 / 4 + 2 / 4) / 2],
    [1, (2 / 4 + 1 / 4) / 2, (1 / 4 + 1 / 4) / 2],
  ]);
  assert.throws(
    () => attentionMassRows(km, { set: "largest", positions: [[0]] }, 1),
    /Cannot measure attention mass/,
  );
});
