import assert from "node:assert/strict";
import { parameterCounts } from "./describe_model.ts";
import { DEFAULT_SHAPE_TOKENIZER, SHAPE_NAMES } from "./model_shapes.ts";
import { parseConfig } from "./parse_config.ts";
import { shapeConfigJson } from "./random_checkpoint.ts";

Deno.test("shape configs equal the real models' config.json values and parameter counts", () => {
  const tokenizer = { vocabSize: 32000, bosTokenId: 1, eosTokenId: 2 };
  const config = (shape: (typeof SHAPE_NAMES)[number]) =>
    parseConfig(shapeConfigJson(shape, { tokenizer }), shape);
  const summary = (shape: (typeof SHAPE_NAMES)[number]) => {
    const c = config(shape);
    return [
      c.family,
      c.hiddenSize,
      c.intermediateSize,
      c.numLayers,
      c.numHeads,
      c.numKvHeads,
      c.vocabSize,
      c.ropeTheta,
    ];
  };
  assert.deepEqual(summary("llama2-7b"), ["llama", 4096, 11008, 32, 32, 32, 32000, 10000]);
  assert.deepEqual(summary("llama3-8b"), ["llama", 4096, 14336, 32, 32, 8, 128256, 500000]);
  assert.deepEqual(config("llama3-8b").ropeScaling, {
    type: "llama3",
    factor: 8,
    lowFreqFactor: 1,
    highFreqFactor: 4,
    originalMaxPositionEmbeddings: 8192,
  });
  assert.deepEqual(summary("qwen2-7b"), ["qwen2", 3584, 18944, 28, 28, 4, 152064, 1e6]);
  assert.equal(config("qwen2-7b").qkvBias, true);
  assert.deepEqual(summary("mistral-7b"), ["mistral", 4096, 14336, 32, 32, 8, 32000, 10000]);
  // Published totals: Llama-2-7B 6,738,415,616; Llama-3.1-8B 8,030,261,248; Qwen2-7B 7,615,616,512;
  // Mistral-7B 7,241,732,096.
  assert.deepEqual(
    (["llama2-7b", "llama3-8b", "qwen2-7b", "mistral-7b"] as const).map((s) =>
      parameterCounts(config(s)).total
    ),
    [6_738_415_616, 8_030_261_248, 7_615_616_512, 7_241_732_096],
  );
  const cut = parseConfig(shapeConfigJson("llama3-8b", { layers: 2, dtype: "float32", tokenizer }), "x");
  assert.deepEqual([cut.numLayers, cut.torchDtype, cut.vocabSize, cut.bosTokenId], [2, "float32", 128256, 1]);
});

Deno.test("every shape has a default tokenizer", () => {
  assert.deepEqual(Object.keys(DEFAULT_SHAPE_TOKENIZER).sort(), [...SHAPE_NAMES].sort());
});
