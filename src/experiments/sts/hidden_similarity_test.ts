import assert from "node:assert/strict";
import { hostTensor } from "../../onnx/mod.ts";
import { LlamaRunner } from "../../model/llama/llama_runner.ts";
import { referenceForward } from "../../../test/reference/llama_f64.ts";
import { randomIds, tinyModel } from "../../../test/reference/tiny_models.ts";
import { cosine, hiddenStateSimilarities, poolHidden, type TokenPair } from "./hidden_similarity.ts";

Deno.test("cosine and pooling by hand: BOS left out of the mean, padding ignored", () => {
  // √2·√2 rounds to 2 + 4e-16, so exact values are met to a few ulps only.
  const near = (x: number, y: number) => assert(Math.abs(x - y) < 1e-15, `${x} vs ${y}`);
  near(cosine([1, 0], [0, 2]), 0);
  near(cosine([3, 4], [6, 8]), 1);
  near(cosine([1, 1], [-1, -1]), -1);
  near(cosine([1, 2, 2], [2, 0, 0]), 1 / 3);
  assert.throws(
    () => cosine([0, 0], [1, 1]),
    /Cannot compute a cosine similarity: one of the vectors is zero/,
  );

  // Batch [B=2, T=3, d=2]; row 1 is right-padded to length 2 (its third position holds junk).
  const h = hostTensor("float32", [2, 3, 2], Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 99, 99]));
  const bos = 1;
  const r0 = poolHidden(h, 0, [bos, 5, 6], bos);
  assert.deepEqual([...r0.mean], [4, 5]); // mean of (3,4) and (5,6)
  assert.deepEqual([...r0.last], [5, 6]);
  const r0all = poolHidden(h, 0, [7, 5, 6], bos); // no leading BOS: every token counts
  assert.deepEqual([...r0all.mean], [3, 4]);
  const r1 = poolHidden(h, 1, [bos, 4], null); // no BOS id known: every token counts
  assert.deepEqual([...r1.mean], [8, 9]);
  assert.deepEqual([...r1.last], [9, 10]);
  const r1only = poolHidden(h, 1, [bos], bos); // BOS alone is kept
  assert.deepEqual([...r1only.mean], [7, 8]);
});

Deno.test("hidden-state cosines match the float64 reference's decoder-block outputs, batched and padded", async () => {
  for (const name of ["mha_tied", "gqa_untied"] as const) {
    const { config, weights, store } = tinyModel(name, 3);
    const bos = config.bosTokenId!;
    // Different lengths within and across pairs; some start with BOS, one is BOS alone.
    const pairs: TokenPair[] = [
      { a: [bos, ...randomIds(config, 4, 1)], b: [bos, ...randomIds(config, 2, 2)] },
      { a: randomIds(config, 3, 3), b: [bos, ...randomIds(config, 5, 4)] },
      { a: [bos], b: randomIds(config, 1, 5) },
    ];
    const runner = new LlamaRunner({ config, weights: store }, {
      dtype: "float64",
      threads: 1,
      cache: false,
    });
    try {
      const layers = [1, 0]; // any order: columns follow it
      const done: number[] = [];
      const got = await hiddenStateSimilarities(runner, pairs, {
        layers,
        batchPairs: 2,
        bosTokenId: bos,
        onLayer: (n) => done.push(n),
      });
      assert.deepEqual(done, [1, 2]);
      pairs.forEach((pair, p) => {
        const [ha, hb] = [pair.a, pair.b].map((ids) => referenceForward(config, weights, ids).hidden);
        layers.forEach((l, k) => {
          // hidden[l + 1] is the output of block l. Independent pooling written out here.
          const pool = (rows: Float64Array[], ids: readonly number[]) => {
            const from = ids.length > 1 && ids[0] === bos ? 1 : 0;
            const mean = new Float64Array(config.hiddenSize);
            for (let t = from; t < rows.length; t++) {
              rows[t].forEach((x, i) => mean[i] += x / (rows.length - from));
            }
            return { mean, last: rows[rows.length - 1] };
          };
          const a = pool(ha[l + 1], pair.a);
          const b = pool(hb[l + 1], pair.b);
          // float64 graph vs float64 loops: only summation order differs (~1e-15); 1e-10 leaves margin.
          assert(
            Math.abs(got.mean[p][k] - cosine(a.mean, b.mean)) < 1e-10,
            `${name} pair ${p} layer ${l} mean`,
          );
          assert(
            Math.abs(got.last[p][k] - cosine(a.last, b.last)) < 1e-10,
            `${name} pair ${p} layer ${l} last`,
          );
        });
      });
    } finally {
      await runner.release();
    }
  }
});

Deno.test("hiddenStateSimilarities rejects bad layers and batch sizes", async () => {
  const { config, store } = tinyModel("mha_tied", 1);
  const runner = new LlamaRunner({ config, weights: store }, { threads: 1, cache: false });
  const pairs = [{ a: [1, 2], b: [1, 3] }];
  try {
    await assert.rejects(
      hiddenStateSimilarities(runner, pairs, { layers: [2] }),
      /layer 2 is outside \[0, 2\)/,
    );
    await assert.rejects(
      hiddenStateSimilarities(runner, pairs, { layers: [] }),
      /must be distinct and non-empty/,
    );
    await assert.rejects(hiddenStateSimilarities(runner, pairs, { layers: [0, 0] }), /must be distinct/);
    await assert.rejects(
      hiddenStateSimilarities(runner, pairs, { layers: [0], batchPairs: 0 }),
      /batchPairs 0 is not a positive integer/,
    );
  } finally {
    await runner.release();
  }
});
