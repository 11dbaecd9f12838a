import assert from "node:assert/strict";
import { referenceForward } from "../../../test/reference/llama_f64.ts";
import { randomIds, TINY_CONFIGS, tinyModel } from "../../../test/reference/tiny_models.ts";
import { LINEAR_MODULES } from "../llama_config.ts";
import { LINEAR_INPUT_OF } from "./decoder_block_graph.ts";
import { LlamaRunner } from "./llama_runner.ts";

/** Same bars as the causal LM (see causal_lm_graph_test.ts): float64 1e-6, float32 1e-4, relative to max(1, |x|). */
const TOLERANCE = { float64: 1e-6, float32: 1e-4 } as const;

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    assert(
      err <= tol,
      `${what}: relative error ${err} at ${i} (${actual[i]} vs ${expected[i]}) exceeds ${tol}`,
    );
  }
}

Deno.test("embedding + decoder blocks reproduce the reference hidden states and Wanda statistics", async () => {
  for (const name of Object.keys(TINY_CONFIGS)) {
    const { config, weights, store } = tinyModel(name, 6);
    // A right-padded batch: statistics must cover real tokens only, summed over the batch.
    const seqs = [randomIds(config, 5, 1), randomIds(config, 3, 2)];
    const traces = seqs.map((ids) => referenceForward(config, weights, ids));
    for (const dtype of ["float64", "float32"] as const) {
      const runner = new LlamaRunner({ config, weights: store }, { dtype, threads: 1, cache: false });
      try {
        let { hidden, mask } = await runner.embed(seqs);
        const T = hidden.dims[1];
        const d = config.hiddenSize;
        for (let l = 0; l < config.numLayers; l++) {
          const out = await runner.decoderBlock(l, hidden, mask);
          hidden = out.hidden!;
          const data = hidden.data as Float64Array;
          seqs.forEach((ids, b) => {
            const got = data.subarray(b * T * d, (b * T + ids.length) * d);
            const want = traces[b].hidden[l + 1].flatMap((row) => Array.from(row));
            assertClose(got, want, TOLERANCE[dtype], `${name} ${dtype} layer ${l} sample ${b} hidden`);
          });
          for (const m of LINEAR_MODULES) {
            const rows = traces.flatMap((t) => t.linearInputs[l][m]);
            const want = rows[0].map((_, j) => rows.reduce((s, r) => s + r[j] * r[j], 0));
            assertClose(
              out.sumsq![LINEAR_INPUT_OF[m]],
              want,
              TOLERANCE[dtype],
              `${name} ${dtype} layer ${l} ${m} Σx²`,
            );
          }
        }
      } finally {
        await runner.release();
      }
    }
  }
});

Deno.test("decoder block outputs can be requested separately", async () => {
  const { config, store } = tinyModel("gqa_untied", 2);
  const runner = new LlamaRunner({ config, weights: store }, { dtype: "float64", threads: 1, cache: false });
  try {
    const seqs = [randomIds(config, 4, 3)];
    const { hidden, mask } = await runner.embed(seqs);
    const both = await runner.decoderBlock(1, hidden, mask);
    const onlyHidden = await runner.decoderBlock(1, hidden, mask, { statistics: false });
    const onlyStats = await runner.decoderBlock(1, hidden, mask, { hidden: false });
    assert.equal(onlyHidden.sumsq, undefined);
    assert.equal(onlyStats.hidden, undefined);
    assert.deepEqual(onlyHidden.hidden!.data, both.hidden!.data);
    assert.deepEqual(onlyStats.sumsq, both.sumsq);
    await runner.releaseLayer(1);
    await assert.rejects(runner.decoderBlock(config.numLayers, hidden, mask), /layer 2 is outside \[0, 2\)/);
  } finally {
    await runner.release();
  }
});

Deno.test("attention key mass: Σ over real queries of the reference's attention probabilities", async () => {
  for (const name of Object.keys(TINY_CONFIGS)) {
    const { config, weights, store } = tinyModel(name, 4);
    // Right padding: padded queries must add nothing, padded keys receive nothing.
    const seqs = [randomIds(config, 5, 7), randomIds(config, 3, 8)];
    const traces = seqs.map((ids) => referenceForward(config, weights, ids));
    for (const dtype of ["float64", "float32"] as const) {
      const runner = new LlamaRunner({ config, weights: store }, { dtype, threads: 1, cache: false });
      try {
        let { hidden, mask } = await runner.embed(seqs);
        const T = hidden.dims[1];
        const H = config.numHeads;
        for (let l = 0; l < config.numLayers; l++) {
          const plain = await runner.decoderBlock(l, hidden, mask, { statistics: false });
          const out = await runner.decoderBlockAttention(l, hidden, mask);
          assert.deepEqual(out.keyMass.dims, [seqs.length, H, T]);
          // The same hidden output as the block without the extra output (same ops, same order).
          assert.deepEqual(out.hidden.data, plain.hidden!.data);
          const mass = out.keyMass.data as Float32Array | Float64Array;
          seqs.forEach((_, b) => {
            for (let h = 0; h < H; h++) {
              const want = new Float64Array(T);
              traces[b].attention[l][h].forEach((row) => row.forEach((p, s) => want[s] += p));
              const got = mass.subarray((b * H + h) * T, (b * H + h + 1) * T);
              assertClose(got, want, TOLERANCE[dtype], `${name} ${dtype} layer ${l} seq ${b} head ${h}`);
            }
          });
          hidden = out.hidden;
        }
      } finally {
        await runner.release();
      }
    }
  }
});
