import assert from "node:assert/strict";
import { referenceForward } from "../../../test/reference/llama_f64.ts";
import { randomIds, TINY_CONFIGS, tinyModel } from "../../../test/reference/tiny_models.ts";
import { LlamaRunner } from "../../model/llama/llama_runner.ts";
import { collectHiddenStats } from "./analysis.ts";
import { layerSummaries } from "./summary.ts";

/**
 * The statistics straight from the float64 reference's hidden states (test/reference/llama_f64.ts, which
 * shares no code with the graphs): hidden[l + 1] is decoder block l's output; sort every |x|.
 */
function referenceStats(hidden: Float64Array[], criterion: { absolute: number; ratio: number }) {
  const abs = hidden.flatMap((row) => Array.from(row, Math.abs));
  const asc = [...abs].sort((x, y) => x - y);
  const median = asc[Math.floor((asc.length - 1) / 2)];
  const threshold = Math.max(criterion.absolute, criterion.ratio * median);
  return { top: asc.slice(-3).reverse(), median, count: abs.filter((x) => x > threshold).length };
}

const rel = (x: number, y: number) => Math.abs(x - y) / Math.max(1, Math.abs(y));

Deno.test("per-layer statistics equal a direct computation on the reference hidden states, every family", async () => {
  // Every tiny config (llama MHA tied, GQA untied, qwen2 q/k/v bias, llama3 RoPE scaling, mistral with an
  // explicit head_dim), 2 decoder layers each.
  const criterion = { absolute: 0.5, ratio: 3 };
  let massiveSeen = 0;
  for (const name of Object.keys(TINY_CONFIGS)) {
    const { config, weights, store } = tinyModel(name, 7);
    assert.equal(config.numLayers, 2);
    const sequences = [0, 1, 2].map((i) => randomIds(config, 9, 30 + i));
    const refs = sequences.map((ids) => referenceForward(config, weights, ids).hidden);
    for (const dtype of ["float64", "float32"] as const) {
      // float64 graphs differ from the reference by summation order only (~1e-14): 1e-9. float32 carries
      // rounding through 2 layers (causal_lm_graph_test observes ~4e-6 on logits): 1e-4.
      const tol = dtype === "float64" ? 1e-9 : 1e-4;
      const runner = new LlamaRunner({ config, weights: store }, { dtype, threads: 1, cache: false });
      try {
        // Batches of 2 (a full and a partial batch) must give what one sequence at a time gives.
        for (const batch of [1, 2]) {
          const stats = await collectHiddenStats(runner, sequences, { criterion, batch });
          sequences.forEach((_, s) => {
            for (let l = 0; l < config.numLayers; l++) {
              const want = referenceStats(refs[s][l + 1], criterion);
              const got = stats[s][l];
              const what = `${name} ${dtype} batch ${batch} sequence ${s} layer ${l}`;
              got.top.forEach((t, k) =>
                assert(rel(Math.abs(t.value), want.top[k]) <= tol, `${what} top${k + 1}`)
              );
              assert(rel(got.median, want.median) <= tol, `${what} median ${got.median} vs ${want.median}`);
              if (dtype === "float64") assert.equal(got.massiveCount, want.count, `${what} massive count`);
              massiveSeen += want.count;
              // Each reported location holds the reported value in the reference.
              for (const t of got.top) {
                assert(rel(t.value, refs[s][l + 1][t.position][t.dimension]) <= tol, what);
              }
            }
          });
          if (dtype === "float64") {
            const summary = layerSummaries(stats);
            for (let l = 0; l < config.numLayers; l++) {
              const per = refs.map((h) => referenceStats(h[l + 1], criterion));
              const top1 = per.reduce((acc, p) => acc + p.top[0], 0) / per.length;
              const median = per.reduce((acc, p) => acc + p.median, 0) / per.length;
              assert(
                rel(summary[l].top1, top1) <= tol && rel(summary[l].median, median) <= tol,
                `${name} layer ${l}`,
              );
              assert(rel(summary[l].ratio, top1 / median) <= tol);
            }
          }
        }
      } finally {
        await runner.release();
      }
    }
  }
  // The loose criterion must select some entries, or the count comparison above proves nothing.
  assert(massiveSeen > 0);
});

Deno.test("hidden-state analysis needs sequences of one length", async () => {
  const { config, store } = tinyModel("mha_tied", 1);
  const runner = new LlamaRunner({ config, weights: store }, { threads: 1, cache: false });
  try {
    await assert.rejects(
      collectHiddenStats(runner, [[1, 2, 3], [1, 2]], { criterion: { absolute: 100, ratio: 1000 } }),
      /Cannot measure hidden states: the sequences must be non-empty and of equal length/,
    );
  } finally {
    await runner.release();
  }
});
