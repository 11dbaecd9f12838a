import assert from "node:assert/strict";
import { referenceForward, referenceLogProbs } from "../../../test/reference/llama_f64.ts";
import {
  memoryWeightStore,
  randomIds,
  TINY_CONFIGS,
  tinyModel,
} from "../../../test/reference/tiny_models.ts";
import { LlamaRunner } from "../../model/llama/llama_runner.ts";
import { perplexity } from "../eval/mod.ts";
import { collectHiddenStats } from "./analysis.ts";
import { PAPER_CRITERION } from "./hidden_stats.ts";
import { interventionPerplexity } from "./intervention_perplexity.ts";
import {
  applyPaperIntervention,
  type PaperPlan,
  paperPlan,
  REFERENCE_LAYER,
  referenceModelKey,
} from "./paper_intervention.ts";

Deno.test("hook.py's Llama-2-7B edit: top token (when not the first) then the first token, × α", () => {
  const plan = paperPlan("meta-llama/Llama-2-7b-hf", [], 32)!;
  assert.equal(plan.layer, 1);
  assert.equal(plan.referenceModel, "llama2_7b");
  assert.deepEqual(plan.sites.map((s) => [s.position, s.dimension, s.mean]), [
    ["top", 2533, 2546.8],
    ["top", 1415, -1502.0],
    ["first", 2533, 767.6],
    ["first", 1415, -458.55],
  ]);
  assert.match(plan.sites[0].source, /6521c05.* lib\/hook\.py#L29$/);
  const T = 4;
  const d = 4096;
  for (const setting of ["mean", "zero"] as const) {
    const alpha = setting === "mean" ? 1 : 0;
    const h = new Float32Array(T * d).fill(0.5);
    h[2 * d + 2533] = -2600; // the largest |x|: token 2
    h[0 * d + 2533] = 700;
    h[0 * d + 1415] = -400;
    const want = h.slice();
    want[2 * d + 2533] = Math.fround(2546.8 * alpha);
    want[2 * d + 1415] = Math.fround(-1502.0 * alpha);
    want[2533] = Math.fround(767.6 * alpha);
    want[1415] = Math.fround(-458.55 * alpha);
    assert.equal(applyPaperIntervention(h, T, d, plan, setting), 4);
    assert.deepEqual(h, want);
  }
  // The largest at the first token: only the first token's two dims are set.
  const h = new Float64Array(T * d);
  h[2533] = 3000;
  h[3 * d + 7] = 2999;
  assert.equal(applyPaperIntervention(h, T, d, plan, "zero"), 2);
  assert.equal(h[3 * d + 7], 2999);
  // −458.55 × 0 is −0, in torch as here.
  assert.deepEqual([h[2533], h[1415]], [0, -0]);
  assert.throws(
    () => applyPaperIntervention(new Float32Array(8 * 64), 8, 64, plan, "zero"),
    /outside \[0, 64\)/,
  );
});

Deno.test("hook.py's Llama-2-13B edit: the first token only; model names as model_dict.py keys them", () => {
  const plan = paperPlan("/models/meta-llama/Llama-2-13b-hf/", [], 40)!;
  assert.equal(plan.referenceModel, "llama2_13b");
  assert.deepEqual(plan.sites.map((s) => [s.position, s.dimension, s.mean]), [
    ["first", 4743, -1223.5],
    ["first", 2100, -717.95],
  ]);
  const d = 5120;
  const h = new Float32Array(3 * d);
  h[2 * d + 9] = 5000;
  assert.equal(applyPaperIntervention(h, 3, d, plan, "mean"), 2);
  assert.deepEqual([h[4743], h[2100], h[2 * d + 9]], [-1223.5, Math.fround(-717.95), 5000]);
  assert.equal(referenceModelKey("meta-llama/Llama-2-7b-hf"), "llama2_7b");
  assert.equal(referenceModelKey("llama-2-7b-hf"), "llama2_7b");
  assert.equal(referenceModelKey("meta-llama/Llama-2-7b-chat-hf"), null, "hook.py edits no chat model");
  assert.equal(referenceModelKey("karpathy/tinyllamas/stories260K"), null);
  assert.throws(
    () => paperPlan("x", [], 1),
    /Cannot plan the paper intervention: the model has 1 decoder layers/,
  );
});

/**
 * The paper's intervention done independently on the float64 reference: the whole window forward, the hidden
 * state after block `plan.layer` edited by a direct scan for the largest |x|, the rest of the model from the
 * edited state, positions 0..T−2 scored.
 */
function referencePaperPerplexity(
  model: ReturnType<typeof tinyModel>,
  windows: number[][],
  plan: PaperPlan,
  setting: "original" | "zero" | "mean",
): number {
  const { config, weights } = model;
  const nlls = windows.map((w) => {
    const targets = w.slice(1);
    const full = referenceForward(config, weights, w);
    if (setting === "original") return referenceLogProbs(full.logits.slice(0, -1), targets).map((x) => -x);
    const h = full.hidden[plan.layer + 1].map((row) => row.slice());
    let best = { t: 0, v: -1 };
    h.forEach((row, t) => row.forEach((x) => Math.abs(x) > best.v && (best = { t, v: Math.abs(x) })));
    for (const s of plan.sites) {
      if (s.position === "top" && best.t === 0) continue;
      h[s.position === "top" ? best.t : 0][s.dimension] = setting === "zero" ? 0 : s.mean;
    }
    const rest = referenceForward(config, weights, w, { from: { layer: plan.layer + 1, hidden: h } });
    return referenceLogProbs(rest.logits.slice(0, -1), targets).map((x) => -x);
  });
  return perplexity(nlls).ppl;
}

Deno.test("paper intervention perplexity matches the float64 reference edited by hand, every family", async () => {
  for (const name of Object.keys(TINY_CONFIGS)) {
    const model = tinyModel(name, 31);
    const { config, store } = model;
    const runner = new LlamaRunner({ config, weights: store }, {
      dtype: "float64",
      threads: 1,
      cache: false,
    });
    try {
      const plan: PaperPlan = {
        rule: "paper",
        layer: REFERENCE_LAYER,
        referenceModel: null,
        sites: [
          { position: "top", dimension: 3, mean: 7.5, source: "test" },
          { position: "first", dimension: 1, mean: -4.25, source: "test" },
        ],
        source: "test",
      };
      const windows = [0, 1, 2].map((i) => randomIds(config, 7, 300 + i));
      const results = await interventionPerplexity(runner, windows, plan, { batch: 2 });
      for (const r of results) {
        const want = referencePaperPerplexity(model, windows, plan, r.setting);
        // float64 graphs vs the float64 reference: summation order only; 1e-9 relative.
        assert(
          Math.abs(r.result.ppl - want) <= 1e-9 * want,
          `${name} ${r.setting}: ${r.result.ppl} vs ${want}`,
        );
        assert.equal(r.result.tokens, 3 * 6, "T − 1 targets per window, the whole window run");
      }
      assert.notEqual(results[1].result.ppl, results[0].result.ppl, `${name}: zeroing changed nothing`);
      // Every window sets the first token's site, and the top token's where it is not the first.
      assert(results[1].replaced >= 3 && results[1].replaced <= 6);
    } finally {
      await runner.release();
    }
  }
});

Deno.test("a model without hard-coded values: sites measured at layer index 1 (first token, top token)", async () => {
  // Plant 8000 in dimension 5 of the BOS embedding: massive at the first token of every layer's output
  // (the random blocks' median |x| is about 4 after layer 1, so 1000 × median stays below it).
  const { config, weights } = tinyModel("gqa_untied", 8);
  const planted = new Map(weights);
  const embed = planted.get("model.embed_tokens.weight")!.slice();
  embed[config.bosTokenId! * config.hiddenSize + 5] = 8000;
  planted.set("model.embed_tokens.weight", embed);
  const runner = new LlamaRunner({ config, weights: memoryWeightStore(planted, config) }, {
    dtype: "float32",
    threads: 1,
    cache: false,
  });
  try {
    const bos = config.bosTokenId!;
    const sequences = [0, 1, 2].map((
      i,
    ) => [bos, ...randomIds(config, 9, 40 + i).map((id) => id === bos ? 3 : id)]);
    const stats = await collectHiddenStats(runner, sequences, { criterion: PAPER_CRITERION });
    const plan = paperPlan("some/model", stats, config.numLayers)!;
    assert.equal(plan.referenceModel, null);
    assert.equal(plan.sites.length, 1);
    const [site] = plan.sites;
    assert.deepEqual([site.position, site.dimension], ["first", 5]);
    const layerValues = stats.map((s) => s[REFERENCE_LAYER].massive[0].value);
    assert(Math.abs(site.mean - layerValues.reduce((a, b) => a + b) / 3) < 1e-9);
    assert.match(site.source, /measured: mean of 3 massive entries/);
    assert.equal(paperPlan("some/model", stats.map((s) => s.map((l) => ({ ...l, massive: [] }))), 2), null);
  } finally {
    await runner.release();
  }
});
