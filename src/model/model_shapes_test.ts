import assert from "node:assert/strict";
import { parameterCounts } from "./describe_model.ts";
import { DEFAULT_SHAPE_TOKENIZER, SHAPE_NAMES } from "./model_shapes.ts";
import { parseConfig } from "./parse_config.ts";
import { shapeConfigJson } from "./random_checkpoint.ts";
import { storedTensors } from "./weight_layout.ts";

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
  assert.deepEqual(summary("llama-7b"), ["llama", 4096, 11008, 32, 32, 32, 32000, 10000]);
  assert.deepEqual([config("llama-7b").maxPositionEmbeddings, config("llama-7b").rmsNormEps], [2048, 1e-6]);
  // Qwen-7B: w1/w2 of intermediate_size / 2; usable context seq_length (dynamic NTK and logn attention on).
  assert.deepEqual(summary("qwen-7b"), ["qwen", 4096, 11008, 32, 32, 32, 151936, 10000]);
  assert.deepEqual([config("qwen-7b").qkvBias, config("qwen-7b").maxPositionEmbeddings], [true, 8192]);
  // Published totals: Llama-2-7B 6,738,415,616; Llama-3.1-8B 8,030,261,248; Qwen2-7B 7,615,616,512;
  // Mistral-7B 7,241,732,096; LLaMA-7B as Llama-2-7B; Qwen-7B 7,721,324,544 (its shard index's total_size,
  // 15,442,649,088 bytes, over 2 bytes per bfloat16 parameter).
  assert.deepEqual(
    (["llama2-7b", "llama3-8b", "qwen2-7b", "mistral-7b", "llama-7b", "qwen-7b"] as const).map((s) =>
      parameterCounts(config(s)).total
    ),
    [6_738_415_616, 8_030_261_248, 7_615_616_512, 7_241_732_096, 6_738_415_616, 7_721_324_544],
  );
  // A random Qwen-7B checkpoint stores Qwen's own tensors, in bfloat16 like the real one.
  const qwen = parseConfig(shapeConfigJson("qwen-7b", { layers: 1, tokenizer }), "qwen-7b");
  assert.equal(qwen.torchDtype, "bfloat16");
  assert.deepEqual(storedTensors(qwen).map((t) => `${t.name} [${t.shape}]`), [
    "transformer.wte.weight [151936,4096]",
    "transformer.h.0.ln_1.weight [4096]",
    "transformer.h.0.attn.c_attn.weight [12288,4096]",
    "transformer.h.0.attn.c_attn.bias [12288]",
    "transformer.h.0.attn.c_proj.weight [4096,4096]",
    "transformer.h.0.ln_2.weight [4096]",
    "transformer.h.0.mlp.w2.weight [11008,4096]",
    "transformer.h.0.mlp.w1.weight [11008,4096]",
    "transformer.h.0.mlp.c_proj.weight [4096,11008]",
    "transformer.ln_f.weight [4096]",
    "lm_head.weight [151936,4096]",
  ]);
  const cut = parseConfig(shapeConfigJson("llama3-8b", { layers: 2, dtype: "float32", tokenizer }), "x");
  assert.deepEqual([cut.numLayers, cut.torchDtype, cut.vocabSize, cut.bosTokenId], [2, "float32", 128256, 1]);
});

Deno.test("every shape has a default tokenizer", () => {
  assert.deepEqual(Object.keys(DEFAULT_SHAPE_TOKENIZER).sort(), [...SHAPE_NAMES].sort());
});
