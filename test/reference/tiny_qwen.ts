/**
 * Tiny random Qwen (v1) checkpoints in the real file layout of Qwen/Qwen-7B: config.json with Qwen's own keys,
 * model.safetensors with Qwen's tensor names (fused `attn.c_attn` weight and bias, `mlp.w1`/`w2`/`c_proj`),
 * and optionally a `qwen.tiktoken` with tokenizer_config.json and generation_config.json as the hub has them.
 * Written byte by byte (test/fixtures/raw_safetensors.ts), not through actpat's writer.
 */
import { join } from "node:path";
import { rawSafetensors } from "../fixtures/raw_safetensors.ts";
import type { QwenWeights } from "./qwen_f64.ts";
import { seededNormal } from "./tiny_models.ts";

/** Options of {@link writeTinyQwen}. */
export interface TinyQwenOptions {
  /** Default 151936, Qwen-7B's (its tokenizer's special tokens sit at 151643–151850). */
  vocabSize?: number;
  seed?: number;
  dtype?: "F32" | "BF16";
  /** `seq_length` (default 16): the length up to which dynamic NTK and logn attention change nothing. */
  seqLength?: number;
  /** A ranks file copied in as `qwen.tiktoken`. */
  tiktoken?: string;
}

/** Qwen-7B's config.json with tiny dimensions: hidden 8 = 2 heads × kv_channels 4, w1/w2 width 24 / 2. */
export function tinyQwenConfig(vocabSize: number, seqLength: number): Record<string, unknown> {
  return {
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
    hidden_size: 8,
    intermediate_size: 24,
    initializer_range: 0.02,
    kv_channels: 4,
    layer_norm_epsilon: 1e-6,
    max_position_embeddings: 32768,
    model_type: "qwen",
    no_bias: true,
    num_attention_heads: 2,
    num_hidden_layers: 2,
    onnx_safe: null,
    rotary_emb_base: 10000,
    rotary_pct: 1.0,
    scale_attn_weights: true,
    seq_length: seqLength,
    tie_word_embeddings: false,
    tokenizer_class: "QWenTokenizer",
    transformers_version: "4.32.0",
    use_cache: true,
    use_dynamic_ntk: true,
    use_flash_attn: "auto",
    use_logn_attn: true,
    vocab_size: vocabSize,
  };
}

/** Tensor names and shapes in the order of Qwen's own checkpoints. */
export function tinyQwenTensors(config: Record<string, unknown>): [string, number[]][] {
  const d = config.hidden_size as number;
  const ff = (config.intermediate_size as number) / 2;
  const v = config.vocab_size as number;
  const out: [string, number[]][] = [["transformer.wte.weight", [v, d]]];
  for (let l = 0; l < (config.num_hidden_layers as number); l++) {
    const p = `transformer.h.${l}`;
    out.push(
      [`${p}.ln_1.weight`, [d]],
      [`${p}.attn.c_attn.weight`, [3 * d, d]],
      [`${p}.attn.c_attn.bias`, [3 * d]],
      [`${p}.attn.c_proj.weight`, [d, d]],
      [`${p}.ln_2.weight`, [d]],
      [`${p}.mlp.w1.weight`, [ff, d]],
      [`${p}.mlp.w2.weight`, [ff, d]],
      [`${p}.mlp.c_proj.weight`, [d, ff]],
    );
  }
  out.push(["transformer.ln_f.weight", [d]], ["lm_head.weight", [v, d]]);
  return out;
}

/** On a grid of 1/64 with |x| < 4: exact in float32 and bfloat16 alike. */
function grid(x: number): number {
  return Math.max(-255, Math.min(255, Math.round(x * 64))) / 64;
}

/**
 * Writes the checkpoint into `dir` and returns its config.json object and its weights by Qwen name. Weights:
 * embeddings and lm_head N(0, 1), matrices N(0, 1.5² / in), norms 1 + N(0, 0.2²), c_attn bias N(0, 0.3²).
 */
export async function writeTinyQwen(
  dir: string,
  options: TinyQwenOptions = {},
): Promise<{ config: Record<string, unknown>; weights: QwenWeights }> {
  const config = tinyQwenConfig(options.vocabSize ?? 151936, options.seqLength ?? 16);
  const dtype = options.dtype ?? "F32";
  const normal = seededNormal(options.seed ?? 1);
  const weights: QwenWeights = new Map();
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, shape] of tinyQwenTensors(config)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const x = /ln_\w+\.weight$/.test(name)
        ? 1 + 0.2 * normal()
        : name.endsWith(".bias")
        ? 0.3 * normal()
        : name === "transformer.wte.weight" || name === "lm_head.weight"
        ? normal()
        : normal() * 1.5 / Math.sqrt(shape[1]);
      data[i] = grid(x);
    }
    weights.set(name, data);
    const f32 = Float32Array.from(data);
    const bytes = dtype === "F32"
      ? new Uint8Array(f32.buffer)
      : new Uint8Array(Uint16Array.from(new Uint32Array(f32.buffer), (b) => b >>> 16).buffer);
    header[name] = { dtype, shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  const data = new Uint8Array(offset);
  let at = 0;
  for (const c of chunks) {
    data.set(c, at);
    at += c.length;
  }
  // Header padded with spaces to 8 bytes, as safetensors writers do, so the data starts aligned.
  const text = JSON.stringify(header);
  await Deno.writeFile(
    join(dir, "model.safetensors"),
    rawSafetensors(text.padEnd(Math.ceil(text.length / 8) * 8, " "), data),
  );
  await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify(config, null, 2));
  if (options.tiktoken) {
    await Deno.copyFile(options.tiktoken, join(dir, "qwen.tiktoken"));
    await Deno.writeTextFile(
      join(dir, "tokenizer_config.json"),
      JSON.stringify({
        model_max_length: 32768,
        tokenizer_class: "QWenTokenizer",
        auto_map: { AutoTokenizer: ["tokenization_qwen.QWenTokenizer", null] },
      }),
    );
    await Deno.writeTextFile(
      join(dir, "generation_config.json"),
      JSON.stringify({ chat_format: "raw", eos_token_id: 151643, pad_token_id: 151643 }),
    );
  }
  return { config, weights };
}
