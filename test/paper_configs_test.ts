/**
 * Every paper configuration (paper/configs/*.json) is a valid `reproduce` config, and where its model has a
 * shape of its own (src/model/model_shapes.ts, the real config.json) the settings fit that model: sequence
 * lengths within its usable context, STS layer ranges within its layers.
 */
import assert from "node:assert/strict";
import { parseLayerRanges, rangeLayers } from "../src/experiments/layer_ranges.ts";
import { paperStsRanges } from "../src/experiments/sts/paper_ranges.ts";
import { readReproduceConfig } from "../src/experiments/reproduce/mod.ts";
import { codeGamma, paperGammas } from "../src/experiments/density/mod.ts";
import { paperListFor } from "../src/experiments/prune/mod.ts";
import { type ModelShape } from "../src/model/model_shapes.ts";
import { parseConfig } from "../src/model/parse_config.ts";
import { shapeConfigJson } from "../src/model/random_checkpoint.ts";

const CONFIGS = new URL("../paper/configs/", import.meta.url);

/** Hub ids whose config.json a shape reproduces exactly. */
const SHAPE_OF: Record<string, ModelShape> = {
  "huggyllama/llama-7b": "llama-7b",
  "meta-llama/Llama-2-7b-hf": "llama2-7b",
  "Qwen/Qwen2-7B": "qwen2-7b",
  "Qwen/Qwen-7B": "qwen-7b",
};

Deno.test("every paper config is valid, and fits its model's context and layers", async () => {
  const names = [...Deno.readDirSync(CONFIGS)].map((e) => e.name).filter((n) => n.endsWith(".json")).sort();
  assert.ok(names.includes("llama-7b.json") && names.includes("qwen-7b.json"), names.join(", "));
  const checked: string[] = [];
  for (const name of names) {
    const config = await readReproduceConfig(new URL(name, CONFIGS));
    const shape = SHAPE_OF[config.model];
    if (shape === undefined) continue;
    const tokenizer = { vocabSize: 32000, bosTokenId: null, eosTokenId: null };
    const model = parseConfig(shapeConfigJson(shape, { tokenizer }), shape);
    for (const [stage, seqLen] of Object.entries(config)) {
      const len = (seqLen as { seqLen?: number } | null)?.seqLen;
      if (len === undefined) continue;
      assert.ok(
        len <= model.maxPositionEmbeddings,
        `${name}: ${stage}.seqLen ${len} exceeds ${config.model}'s context of ${model.maxPositionEmbeddings}`,
      );
    }
    if (config.sts) parseLayerRanges(config.sts.layers, model.numLayers);
    if (config.relevance?.layers) parseLayerRanges([config.relevance.layers], model.numLayers);
    checked.push(`${name}: ${shape}`);
  }
  assert.deepEqual(checked, [
    "llama-7b.json: llama-7b",
    "llama2-7b.json: llama2-7b",
    "qwen-7b.json: qwen-7b",
    "qwen2-7b.json: qwen2-7b",
  ]);
});

Deno.test("the LLaMA-1-7B and Qwen-7B configs: the paper's Table 1 row settings, γ of the authors' code", async () => {
  const llama1 = await readReproduceConfig(new URL("llama-7b.json", CONFIGS));
  const llama2 = await readReproduceConfig(new URL("llama2-7b.json", CONFIGS));
  const qwen1 = await readReproduceConfig(new URL("qwen-7b.json", CONFIGS));
  assert.equal(llama1.model, "huggyllama/llama-7b");
  assert.equal(qwen1.model, "Qwen/Qwen-7B");
  for (const c of [llama1, qwen1]) {
    // 32 layers: γ = 2e-6 in the figure code (5e-6 is its 40-layer value).
    assert.equal(c.density?.gamma, "2e-6");
    assert.equal(c.table1?.gamma, "2e-6");
    // Table 1 as for Llama-2-7B, only the sequence lengths follow the model (LLaMA-1: context 2048).
    const seqLen = c === llama1 ? 2048 : llama2.table1!.seqLen;
    // The authors' lists: LLaMA-1-7B has its own, Qwen-7B none (uniform Wanda in the transfer stage).
    const paperList = c === llama1 ? "llama-7b" : null;
    assert.deepEqual(c.table1, { ...llama2.table1, seqLen, paperList });
    const allocation = c === llama1 ? "paper-lists" : "uniform";
    assert.deepEqual(c.transfer, { ...llama2.transfer, seqLen, paperList, allocation });
    assert.deepEqual(c.sts, llama2.sts);
  }
});

Deno.test("STS ranges of every paper config: the six of llama_sts.py for its model's layers", async () => {
  // Decoder layers of each config's model (config.json `num_hidden_layers`).
  const layers: Record<string, number> = {
    "huggyllama/llama-7b": 32,
    "meta-llama/Llama-2-7b-hf": 32,
    "meta-llama/Llama-2-13b-hf": 40,
    "meta-llama/Meta-Llama-3-8B": 32,
    "Qwen/Qwen-7B": 32,
    "Qwen/Qwen2-7B": 28,
  };
  for (const name of [...Deno.readDirSync(CONFIGS)].map((e) => e.name).filter((n) => n !== "default.json")) {
    const config = await readReproduceConfig(new URL(name, CONFIGS));
    const L = layers[config.model];
    assert.ok(L, `${name}: ${config.model} has no layer count here`);
    assert.deepEqual(config.sts?.layers, paperStsRanges(L), name);
    // Inclusive specs of Python's end-exclusive ranges: range(12, L - 2) ends at L - 3, range(12, L) at L - 1.
    const ranges = parseLayerRanges(config.sts!.layers, L);
    const lastLayers = ranges.map((r) => rangeLayers(r).at(-1));
    assert.deepEqual(lastLayers, [L - 3, L - 1, L - 3, L - 1, L - 3, L - 1], name);
  }
});

/** Decoder layers of each paper config's model (their config.json: num_hidden_layers). */
const LAYERS: Record<string, number> = {
  "huggyllama/llama-7b": 32,
  "meta-llama/Llama-2-7b-hf": 32,
  "meta-llama/Llama-2-13b-hf": 40,
  "meta-llama/Meta-Llama-3-8B": 32,
  "Qwen/Qwen-7B": 32,
  "Qwen/Qwen2-7B": 28,
};

Deno.test("paper configs: γ by the code's rule (2e-6 for 32 layers, else 5e-6), both γ counted, the authors' lists", async () => {
  const names = [...Deno.readDirSync(CONFIGS)].map((e) => e.name).filter((n) => n !== "default.json");
  assert.equal(names.length, Object.keys(LAYERS).length);
  for (const name of names) {
    const c = await readReproduceConfig(new URL(name, CONFIGS));
    const layers = LAYERS[c.model];
    assert.equal(c.density?.gamma, codeGamma(layers), name);
    assert.equal(c.table1?.gamma, codeGamma(layers), name);
    assert.deepEqual(c.density?.gammas, paperGammas(layers), name);
    assert.equal(c.table1?.paperList, paperListFor(c.model), name);
    assert.equal(c.table1?.alpha, 2);
    assert.equal(c.table1?.beta, 0.2);
    assert.equal(c.transfer?.allocation, paperListFor(c.model) ? "paper-lists" : "uniform", name);
  }
  // Independent of the rule's code: the values the paper's code and text give for these depths.
  assert.deepEqual(paperGammas(32), [{ gamma: "2e-6", source: "code" }, { gamma: "2e-5", source: "text" }]);
  assert.deepEqual(paperGammas(40), [{ gamma: "5e-6", source: "code" }, { gamma: "5e-6", source: "text" }]);
  assert.deepEqual(paperGammas(28), [{ gamma: "5e-6", source: "code" }]);
});
