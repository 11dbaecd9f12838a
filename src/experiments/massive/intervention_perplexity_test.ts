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
import { type MassiveCriterion, PAPER_CRITERION } from "./hidden_stats.ts";
import { type InterventionPlan, interventionPlan } from "./intervention.ts";
import { interventionPerplexity } from "./intervention_perplexity.ts";
import { firstMassiveLayer, locationSummaries } from "./summary.ts";

/**
 * The intervention done independently on the float64 reference: hidden state after block `plan.layer`
 * from `referenceForward`, its entries edited by a direct sort-based median and threshold, then the rest of
 * the reference model from that edited state (`from`), scored by the reference log-softmax.
 */
function referencePerplexity(
  model: ReturnType<typeof tinyModel>,
  windows: number[][],
  plan: InterventionPlan | null,
  setting: "original" | "zero" | "mean",
): number {
  const { config, weights } = model;
  const nlls = windows.map((w) => {
    const inputs = w.slice(0, -1);
    const targets = w.slice(1);
    if (!plan || setting === "original") {
      return referenceLogProbs(referenceForward(config, weights, inputs).logits, targets).map((x) => -x);
    }
    const h = referenceForward(config, weights, inputs).hidden[plan.layer + 1].map((row) => row.slice());
    const asc = h.flatMap((row) => Array.from(row, Math.abs)).sort((a, b) => a - b);
    const threshold = Math.max(
      plan.criterion.absolute,
      plan.criterion.ratio * asc[Math.floor((asc.length - 1) / 2)],
    );
    h.forEach((row, t) => {
      for (const s of plan.sites) {
        if (Math.abs(row[s.dimension]) > threshold) {
          row[s.dimension] = setting === "zero" ? 0 : (t === 0 ? s.first : s.other) ?? s.all;
        }
      }
    });
    const rest = referenceForward(config, weights, inputs, { from: { layer: plan.layer + 1, hidden: h } });
    return referenceLogProbs(rest.logits, targets).map((x) => -x);
  });
  return perplexity(nlls).ppl;
}

Deno.test("zero and mean interventions match the float64 reference edited by hand, every family", async () => {
  // A loose criterion so random weights have "massive" entries to act on.
  const criterion: MassiveCriterion = { absolute: 0, ratio: 4 };
  let intervened = 0;
  for (const name of Object.keys(TINY_CONFIGS)) {
    const model = tinyModel(name, 21);
    const { config, store } = model;
    const runner = new LlamaRunner({ config, weights: store }, {
      dtype: "float64",
      threads: 1,
      cache: false,
    });
    try {
      const sequences = [0, 1, 2, 3].map((i) => randomIds(config, 8, 100 + i));
      const stats = await collectHiddenStats(runner, sequences, { criterion });
      const layer = firstMassiveLayer(stats);
      const plan = layer === null ? null : interventionPlan(stats, layer, criterion);
      assert(plan !== null, `${name}: nothing exceeds ${criterion.ratio} × median`);
      const windows = [0, 1, 2].map((i) => randomIds(config, 7, 200 + i));
      const results = await interventionPerplexity(runner, windows, plan, { batch: 2 });
      assert.deepEqual(results.map((r) => r.setting), ["original", "zero", "mean"]);
      for (const r of results) {
        const want = referencePerplexity(model, windows, plan, r.setting);
        // float64 graphs vs the float64 reference: summation order only (~1e-14); 1e-9 relative.
        assert(
          Math.abs(r.result.ppl - want) <= 1e-9 * want,
          `${name} ${r.setting}: ${r.result.ppl} vs ${want}`,
        );
        assert.equal(r.result.tokens, 3 * 6);
        if (r.setting !== "original") intervened += r.replaced;
      }
      assert.notEqual(results[1].result.ppl, results[0].result.ppl, `${name}: zeroing changed nothing`);
    } finally {
      await runner.release();
    }
  }
  assert(intervened > 0, "no entry was ever replaced: the comparison would prove nothing");
});

Deno.test("the mean intervention changes nothing when the values already are their mean (one sequence repeated)", async () => {
  const { config, store } = tinyModel("gqa_untied", 2);
  const runner = new LlamaRunner({ config, weights: store }, { dtype: "float32", threads: 1, cache: false });
  try {
    const window = randomIds(config, 10, 9);
    const input = window.slice(0, -1); // what the window feeds the model
    // Threshold just under the single largest top1 / median of any layer: exactly one site qualifies.
    const probe = await collectHiddenStats(runner, [input], { criterion: { absolute: Infinity, ratio: 0 } });
    const ratios = probe[0].map((s) => Math.abs(s.top[0].value) / s.median);
    const criterion = { absolute: 0, ratio: Math.max(...ratios) * (1 - 1e-6) };
    const stats = await collectHiddenStats(runner, [input, input, input], { criterion });
    const layer = firstMassiveLayer(stats)!;
    const plan = interventionPlan(stats, layer, criterion)!;
    assert.equal(plan.sites.length, 1);
    assert.equal(plan.sites[0].count, 3);
    const [original, zero, mean] = await interventionPerplexity(runner, [window], plan);
    assert.equal(mean.replaced, 1);
    // Same inputs, same kernels, the value written back is the value read: bit-identical perplexity.
    assert.equal(mean.result.ppl, original.result.ppl);
    assert.notEqual(zero.result.ppl, original.result.ppl);
  } finally {
    await runner.release();
  }
});

Deno.test("untouched perplexity equals the causal LM's (float32) and bad windows are refused", async () => {
  const { config, store } = tinyModel("llama3_rope", 5);
  const runner = new LlamaRunner({ config, weights: store }, { dtype: "float32", threads: 1, cache: false });
  try {
    const windows = [0, 1, 2, 3, 4].map((i) => randomIds(config, 12, 50 + i));
    const [original] = await interventionPerplexity(runner, windows, null, { batch: 3 });
    const lp = await runner.logProbs(windows.map((w) => w.slice(0, -1)), windows.map((w) => w.slice(1)));
    const want = perplexity(lp.map((row) => row.map((x) => -x)));
    // Layer-by-layer vs the whole graph in float32: log-probs agree to 1e-5, so ppl to 1e-5 relative.
    assert(Math.abs(original.result.ppl - want.ppl) <= 1e-5 * want.ppl);
    assert.equal(original.result.windows, 5);
    await assert.rejects(interventionPerplexity(runner, [[1]], null), /at least 2 tokens/);
    await assert.rejects(interventionPerplexity(runner, [[1, 2, 3], [1, 2]], null), /same length/);
  } finally {
    await runner.release();
  }
});

Deno.test("a planted massive activation is found with the paper's criterion and its site reported", async () => {
  // The BOS embedding gets 3000 in dimension 5: the residual stream carries it past block 0 (which adds
  // O(1) terms after RMSNorm), like a real model's first-token massive activation.
  const { config, weights } = tinyModel("gqa_untied", 8);
  const planted = new Map(weights);
  const embed = planted.get("model.embed_tokens.weight")!.slice();
  embed[config.bosTokenId! * config.hiddenSize + 5] = 3000;
  planted.set("model.embed_tokens.weight", embed);
  const store = memoryWeightStore(planted, config);
  const runner = new LlamaRunner({ config, weights: store }, { dtype: "float32", threads: 1, cache: false });
  try {
    // BOS first, and nowhere else (a later BOS would carry the planted value too).
    const bos = config.bosTokenId!;
    const withBos = (seed: number) => [bos, ...randomIds(config, 9, seed).map((id) => id === bos ? 3 : id)];
    const sequences = [0, 1, 2].map((i) => withBos(40 + i));
    const stats = await collectHiddenStats(runner, sequences, { criterion: PAPER_CRITERION });
    assert.equal(firstMassiveLayer(stats), 0);
    for (const seq of stats) {
      const layer = seq[0];
      assert.equal(layer.massiveCount, 1);
      assert.deepEqual([layer.massive[0].position, layer.massive[0].dimension], [0, 5]);
      assert(Math.abs(layer.massive[0].value - 3000) < 10);
    }
    const [site] = locationSummaries(stats, sequences).filter((r) => r.layer === 0);
    assert.deepEqual([site.dimension, site.position, site.tokenId, site.massiveSequences], [
      5,
      0,
      config.bosTokenId,
      3,
    ]);
    // The first token's state does not depend on what follows it: the same value in every sequence.
    assert.equal(site.std, 0);
    const plan = interventionPlan(stats, 0, PAPER_CRITERION)!;
    const windows = [0, 1].map((i) => withBos(60 + i));
    const [original, zero, mean] = await interventionPerplexity(runner, windows, plan);
    assert.deepEqual([zero.replaced, mean.replaced], [2, 2]);
    assert.equal(mean.result.ppl, original.result.ppl);
    assert.notEqual(zero.result.ppl, original.result.ppl);
  } finally {
    await runner.release();
  }
});
