import assert from "node:assert/strict";
import { join } from "node:path";
import { STORIES_HF } from "../../test/fixtures/mirror.ts";
import { tempDir } from "../../test/fixtures/temp_dir.ts";
import { expectedTensors, type LlamaConfig } from "./llama_config.ts";
import { readConfig } from "./parse_config.ts";
import { openCheckpointWeights, openSafetensors } from "./safetensors.ts";
import { type TensorToWrite, writeSafetensors } from "./safetensors_writer.ts";
import { validateWeights } from "./validate_weights.ts";

const TINY: LlamaConfig = {
  family: "qwen2",
  hiddenSize: 8,
  intermediateSize: 12,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
  headDim: 2,
  vocabSize: 10,
  rmsNormEps: 1e-6,
  ropeTheta: 10000,
  ropeScaling: null,
  maxPositionEmbeddings: 64,
  tieWordEmbeddings: false,
  qkvBias: true,
  bosTokenId: null,
  eosTokenId: null,
  torchDtype: "float32",
};

Deno.test("expectedTensors lists a Qwen2 layer with q/k/v biases and an untied lm_head", () => {
  const names = expectedTensors(TINY).map((t) => `${t.name} [${t.shape}]`);
  assert.deepEqual(names.slice(0, 14), [
    "model.embed_tokens.weight [10,8]",
    "model.layers.0.input_layernorm.weight [8]",
    "model.layers.0.self_attn.q_proj.weight [8,8]",
    "model.layers.0.self_attn.q_proj.bias [8]",
    "model.layers.0.self_attn.k_proj.weight [4,8]",
    "model.layers.0.self_attn.k_proj.bias [4]",
    "model.layers.0.self_attn.v_proj.weight [4,8]",
    "model.layers.0.self_attn.v_proj.bias [4]",
    "model.layers.0.self_attn.o_proj.weight [8,8]",
    "model.layers.0.post_attention_layernorm.weight [8]",
    "model.layers.0.mlp.gate_proj.weight [12,8]",
    "model.layers.0.mlp.up_proj.weight [12,8]",
    "model.layers.0.mlp.down_proj.weight [8,12]",
    "model.layers.1.input_layernorm.weight [8]",
  ]);
  assert.deepEqual(names.slice(-2), ["model.norm.weight [8]", "lm_head.weight [10,8]"]);
  assert.equal(names.length, 1 + 2 * 12 + 2);
});

Deno.test("validateWeights accepts stories260K-hf (tied: no lm_head)", async () => {
  const config = await readConfig(STORIES_HF);
  const { store } = await openCheckpointWeights(STORIES_HF);
  validateWeights(config, store, join(STORIES_HF, "config.json"));
  assert.equal(expectedTensors(config).length, store.names().length);
});

Deno.test("validateWeights names the tensor, both shapes and the file when weights disagree with config.json", async () => {
  await using tmp = await tempDir();
  const path = join(tmp.path, "model.safetensors");
  const tensors = (edit: (t: { name: string; shape: number[] }) => number[] | null): TensorToWrite[] =>
    expectedTensors(TINY).flatMap((t) => {
      const shape = edit(t);
      if (shape === null) return [];
      return [{
        name: t.name,
        shape,
        dtype: "F16" as const,
        data: new Float32Array(shape.reduce((a, b) => a * b, 1)),
      }];
    });
  const check = async (edit: Parameters<typeof tensors>[0], message: string) => {
    await writeSafetensors(path, tensors(edit), { quiet: true });
    const store = await openSafetensors([path]);
    assert.throws(() => validateWeights(TINY, store, "m/config.json"), {
      message: `Cannot load model: ${message}`,
    });
  };
  await writeSafetensors(path, tensors((t) => t.shape), { quiet: true });
  validateWeights(TINY, await openSafetensors([path]), "m/config.json");

  await check(
    (t) => (t.name === "model.layers.1.mlp.up_proj.weight" ? [12, 9] : t.shape),
    `tensor model.layers.1.mlp.up_proj.weight has shape [12, 9] but m/config.json implies [12, 8] (${path})`,
  );
  await check(
    (t) => (t.name === "model.layers.0.self_attn.k_proj.bias" ? null : t.shape),
    "tensor model.layers.0.self_attn.k_proj.bias is missing, but m/config.json implies it with shape [4]",
  );
  await check(
    (t) => (t.name === "lm_head.weight" ? [10] : t.shape),
    `tensor lm_head.weight has shape [10] but m/config.json implies [10, 8] (${path})`,
  );
  // A third layer that config.json does not declare.
  await writeSafetensors(path, [
    ...tensors((t) => t.shape),
    { name: "model.layers.2.input_layernorm.weight", shape: [8], dtype: "F32", data: new Float32Array(8) },
  ], { quiet: true });
  const extra = await openSafetensors([path]);
  assert.throws(() => validateWeights(TINY, extra, "m/config.json"), {
    message: `Cannot load model: tensor model.layers.2.input_layernorm.weight (${path}) is not part of the ` +
      "architecture m/config.json describes",
  });
});
