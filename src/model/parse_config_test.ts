import assert from "node:assert/strict";
import { join } from "node:path";
import { STORIES_HF } from "../../test/fixtures/mirror.ts";
import { tempDir } from "../../test/fixtures/temp_dir.ts";
import type { LlamaConfig } from "./llama_config.ts";
import { parseConfig, readConfig } from "./parse_config.ts";
import { QWEN_LAYOUT } from "./weight_layout.ts";

/** Meta's Llama-2-7b-hf config.json (transformers 4 layout). */
const LLAMA2_7B = {
  architectures: ["LlamaForCausalLM"],
  bos_token_id: 1,
  eos_token_id: 2,
  hidden_act: "silu",
  hidden_size: 4096,
  initializer_range: 0.02,
  intermediate_size: 11008,
  max_position_embeddings: 4096,
  model_type: "llama",
  num_attention_heads: 32,
  num_hidden_layers: 32,
  num_key_value_heads: 32,
  pretraining_tp: 1,
  rms_norm_eps: 1e-5,
  rope_scaling: null,
  tie_word_embeddings: false,
  torch_dtype: "float16",
  transformers_version: "4.31.0.dev0",
  use_cache: true,
  vocab_size: 32000,
};

const LLAMA3_SCALING = {
  factor: 8.0,
  low_freq_factor: 1.0,
  high_freq_factor: 4.0,
  original_max_position_embeddings: 8192,
  rope_type: "llama3",
};

/** Meta's Llama-3.1-8B config.json. */
const LLAMA31_8B = {
  ...LLAMA2_7B,
  bos_token_id: 128000,
  eos_token_id: [128001, 128008, 128009],
  intermediate_size: 14336,
  max_position_embeddings: 131072,
  num_key_value_heads: 8,
  rope_scaling: LLAMA3_SCALING,
  rope_theta: 500000.0,
  torch_dtype: "bfloat16",
  vocab_size: 128256,
};

const QWEN2_7B = {
  architectures: ["Qwen2ForCausalLM"],
  bos_token_id: 151643,
  eos_token_id: 151643,
  hidden_act: "silu",
  hidden_size: 3584,
  intermediate_size: 18944,
  max_position_embeddings: 131072,
  max_window_layers: 28,
  model_type: "qwen2",
  num_attention_heads: 28,
  num_hidden_layers: 28,
  num_key_value_heads: 4,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000.0,
  sliding_window: 131072,
  tie_word_embeddings: false,
  torch_dtype: "bfloat16",
  use_sliding_window: false,
  vocab_size: 152064,
};

const MISTRAL_7B = {
  architectures: ["MistralForCausalLM"],
  bos_token_id: 1,
  eos_token_id: 2,
  hidden_act: "silu",
  hidden_size: 4096,
  intermediate_size: 14336,
  max_position_embeddings: 32768,
  model_type: "mistral",
  num_attention_heads: 32,
  num_hidden_layers: 32,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-5,
  rope_theta: 10000.0,
  sliding_window: 4096,
  tie_word_embeddings: false,
  torch_dtype: "bfloat16",
  vocab_size: 32000,
};

/** Qwen/Qwen-7B's config.json (Qwen v1, QWenLMHeadModel), as on the hub. */
const QWEN_7B = {
  architectures: ["QWenLMHeadModel"],
  auto_map: {
    AutoConfig: "configuration_qwen.QWenConfig",
    AutoModelForCausalLM: "modeling_qwen.QWenLMHeadModel",
  },
  attn_dropout_prob: 0.0,
  bf16: false,
  emb_dropout_prob: 0.0,
  fp16: false,
  fp32: false,
  hidden_size: 4096,
  intermediate_size: 22016,
  initializer_range: 0.02,
  kv_channels: 128,
  layer_norm_epsilon: 1e-6,
  max_position_embeddings: 32768,
  model_type: "qwen",
  no_bias: true,
  num_attention_heads: 32,
  num_hidden_layers: 32,
  onnx_safe: null,
  rotary_emb_base: 10000,
  rotary_pct: 1.0,
  scale_attn_weights: true,
  seq_length: 8192,
  tie_word_embeddings: false,
  tokenizer_class: "QWenTokenizer",
  transformers_version: "4.32.0",
  use_cache: true,
  use_dynamic_ntk: true,
  use_flash_attn: "auto",
  use_logn_attn: true,
  vocab_size: 151936,
};

Deno.test("readConfig parses stories260K-hf (transformers 5 rope_parameters, GQA, tied)", async () => {
  const want: LlamaConfig = {
    family: "llama",
    hiddenSize: 64,
    intermediateSize: 172,
    numLayers: 5,
    numHeads: 8,
    numKvHeads: 4,
    headDim: 8,
    vocabSize: 512,
    rmsNormEps: 1e-5,
    ropeTheta: 10000,
    ropeScaling: null,
    maxPositionEmbeddings: 512,
    tieWordEmbeddings: true,
    qkvBias: false,
    bosTokenId: 1,
    eosTokenId: 2,
    torchDtype: "float32",
  };
  assert.deepEqual(await readConfig(STORIES_HF), want);
});

Deno.test("parseConfig reads Llama-2-7B, Llama-3.1-8B, Qwen2-7B and Mistral-7B configs", () => {
  const l2 = parseConfig(LLAMA2_7B, "l2");
  assert.equal(l2.headDim, 128);
  assert.equal(l2.numKvHeads, 32);
  assert.equal(l2.torchDtype, "float16");
  assert.equal(l2.ropeTheta, 10000);
  assert.equal(l2.ropeScaling, null);
  assert.equal(l2.qkvBias, false);

  const l3 = parseConfig(LLAMA31_8B, "l3");
  assert.equal(l3.ropeTheta, 500000);
  assert.deepEqual(l3.ropeScaling, {
    type: "llama3",
    factor: 8,
    lowFreqFactor: 1,
    highFreqFactor: 4,
    originalMaxPositionEmbeddings: 8192,
  });
  assert.equal(l3.eosTokenId, 128001);
  assert.equal(l3.numKvHeads, 8);

  const q = parseConfig(QWEN2_7B, "q");
  assert.equal(q.family, "qwen2");
  assert.equal(q.qkvBias, true);
  assert.equal(q.headDim, 128);
  assert.equal(q.ropeTheta, 1e6);
  assert.equal(q.maxPositionEmbeddings, 131072);
  assert.equal(q.rmsNormEps, 1e-6);

  const m = parseConfig(MISTRAL_7B, "m");
  assert.equal(m.family, "mistral");
  assert.equal(m.qkvBias, false);
  // Sliding window 4096: exact as full attention up to 4096 tokens, so the usable context is capped there.
  assert.equal(m.maxPositionEmbeddings, 4096);
  assert.equal(parseConfig({ ...MISTRAL_7B, sliding_window: null }, "m").maxPositionEmbeddings, 32768);
  assert.equal(parseConfig({ ...MISTRAL_7B, sliding_window: 65536 }, "m").maxPositionEmbeddings, 32768);
  assert.equal(
    parseConfig({ ...QWEN2_7B, use_sliding_window: true, sliding_window: 4096 }, "q").maxPositionEmbeddings,
    4096,
  );
});

Deno.test("parseConfig reads Qwen (v1) Qwen-7B: its own keys, halved MLP width, context up to seq_length", () => {
  const q = parseConfig(QWEN_7B, "q");
  assert.deepEqual(
    q,
    {
      family: "qwen",
      hiddenSize: 4096,
      // QWenMLP: w1 and w2 have intermediate_size // 2 outputs.
      intermediateSize: 11008,
      numLayers: 32,
      numHeads: 32,
      numKvHeads: 32,
      headDim: 128,
      vocabSize: 151936,
      rmsNormEps: 1e-6,
      ropeTheta: 10000,
      ropeScaling: null,
      // use_dynamic_ntk and use_logn_attn act beyond seq_length only.
      maxPositionEmbeddings: 8192,
      tieWordEmbeddings: false,
      qkvBias: true,
      bosTokenId: null,
      eosTokenId: null,
      torchDtype: "float32",
      weightLayout: QWEN_LAYOUT,
    } satisfies LlamaConfig,
  );
  const plain = parseConfig({ ...QWEN_7B, use_dynamic_ntk: false, use_logn_attn: false }, "q");
  assert.equal(plain.maxPositionEmbeddings, 32768);
  assert.equal(parseConfig({ ...QWEN_7B, use_logn_attn: false }, "q").maxPositionEmbeddings, 8192);
  assert.equal(parseConfig({ ...QWEN_7B, bf16: true }, "q").torchDtype, "bfloat16");
  assert.equal(
    parseConfig({ ...QWEN_7B, intermediate_size: 13696, rotary_emb_base: 1e6 }, "q").ropeTheta,
    1e6,
  );
  assert.equal(parseConfig({ ...QWEN_7B, intermediate_size: 13697 }, "q").intermediateSize, 6848);
  // Keys of other families mean nothing to Qwen, and Qwen's keys nothing to them.
  assert.equal(parseConfig({ ...LLAMA2_7B, kv_channels: 64, seq_length: 16 }, "l").headDim, 128);
  assert.equal(parseConfig({ ...LLAMA2_7B, kv_channels: 64 }, "l").weightLayout, undefined);

  const refused: [Record<string, unknown>, string][] = [
    [{ ...QWEN_7B, rotary_pct: 0.5 }, "unsupported rotary_pct 0.5 in q (supported: 1.0)"],
    [
      { ...QWEN_7B, no_bias: false },
      "unsupported no_bias false (biases on c_proj, w1, w2) in q (supported: true)",
    ],
    [{ ...QWEN_7B, kv_channels: 64 }, "kv_channels 64 × num_attention_heads 32 is not hidden_size 4096 in q"],
    [{ ...QWEN_7B, seq_length: undefined }, "missing seq_length (modeling_qwen.py needs it) in q"],
    [{ ...QWEN_7B, rotary_pct: 2 }, "invalid rotary_pct in q: Too big: expected number to be <=1 (got 2)"],
  ];
  for (const [json, detail] of refused) {
    assert.throws(() => parseConfig(json, "q"), { message: `Cannot load model: ${detail}` });
  }
});

Deno.test("parseConfig accepts transformers 5 rope_parameters with llama3 scaling, explicit head_dim, dtype", () => {
  const { rope_scaling: _, rope_theta: __, torch_dtype: ___, ...rest } = LLAMA31_8B;
  const c = parseConfig(
    { ...rest, dtype: "bfloat16", head_dim: 64, rope_parameters: { ...LLAMA3_SCALING, rope_theta: 500000 } },
    "x",
  );
  assert.equal(c.ropeTheta, 500000);
  assert.equal(c.ropeScaling?.factor, 8);
  assert.equal(c.headDim, 64);
  assert.equal(c.torchDtype, "bfloat16");
  // Old spelling `type` and defaults for omitted keys (transformers' LlamaConfig defaults).
  const old = parseConfig({ ...LLAMA2_7B, rope_scaling: { type: "default" } }, "x");
  assert.equal(old.ropeScaling, null);
  const minimal = parseConfig({
    model_type: "llama",
    hidden_size: 8,
    intermediate_size: 16,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    vocab_size: 10,
  }, "x");
  assert.deepEqual(
    [
      minimal.numKvHeads,
      minimal.rmsNormEps,
      minimal.ropeTheta,
      minimal.maxPositionEmbeddings,
      minimal.torchDtype,
    ],
    [2, 1e-6, 10000, 2048, "float32"],
  );
  assert.deepEqual([minimal.tieWordEmbeddings, minimal.bosTokenId, minimal.eosTokenId], [false, 1, 2]);
});

Deno.test("parseConfig refuses unsupported architectures and invalid keys with one clear message", () => {
  const cases: [Record<string, unknown>, string][] = [
    [
      { model_type: "gpt2", n_embd: 768 },
      'unsupported model_type "gpt2" in m/config.json (supported: llama, mistral, qwen2, qwen)',
    ],
    [{ ...LLAMA2_7B, model_type: undefined }, "missing model_type in m/config.json"],
    [
      { ...LLAMA2_7B, hidden_act: "gelu" },
      'unsupported hidden_act "gelu" in m/config.json (supported: silu)',
    ],
    [
      { ...LLAMA2_7B, rope_scaling: { type: "linear", factor: 2 } },
      'unsupported rope type "linear" in m/config.json (supported: default, llama3)',
    ],
    [
      { ...LLAMA2_7B, rope_scaling: { rope_type: "llama3", factor: 8 } },
      "rope type llama3 needs factor, low_freq_factor, high_freq_factor and original_max_position_embeddings " +
      "in m/config.json",
    ],
    [
      { ...LLAMA2_7B, num_key_value_heads: 5 },
      "num_attention_heads 32 is not a multiple of num_key_value_heads 5 in m/config.json",
    ],
    [
      { ...LLAMA2_7B, hidden_size: 4100 },
      "hidden_size 4100 is not a multiple of num_attention_heads and head_dim is not set in m/config.json",
    ],
    [{ ...LLAMA2_7B, attention_bias: true }, "unsupported attention_bias true (llama) in m/config.json"],
    [{ ...LLAMA2_7B, mlp_bias: true }, "unsupported mlp_bias true in m/config.json"],
    [
      { ...LLAMA2_7B, torch_dtype: "float8_e4m3fn" },
      'unsupported dtype "float8_e4m3fn" in m/config.json (supported: float32, float16, bfloat16)',
    ],
    [
      { ...LLAMA2_7B, hidden_size: undefined },
      "missing hidden_size in m/config.json",
    ],
    [
      { ...LLAMA2_7B, num_hidden_layers: "32" },
      'invalid num_hidden_layers in m/config.json: expected number, received string (got "32")',
    ],
    [
      { ...LLAMA2_7B, vocab_size: 0 },
      "invalid vocab_size in m/config.json: Too small: expected number to be >0 (got 0)",
    ],
  ];
  for (const [json, detail] of cases) {
    assert.throws(() => parseConfig(json, "m/config.json"), {
      name: "ActpatError",
      message: `Cannot load model: ${detail}`,
    });
  }
});

Deno.test("readConfig names a missing or corrupt config.json", async () => {
  await using tmp = await tempDir();
  await assert.rejects(readConfig(tmp.path), { message: `Cannot load model: no config.json in ${tmp.path}` });
  await Deno.writeTextFile(join(tmp.path, "config.json"), "{ nope");
  await assert.rejects(readConfig(tmp.path), (err: Error) => {
    assert.match(
      err.message,
      new RegExp(`^Cannot load model: ${tmp.path}/config.json is not valid JSON \\(`),
    );
    return true;
  });
});
