import { join } from "node:path";
import { z } from "zod";
import { ActpatError } from "../util/errors.ts";
import type { Llama3RopeScaling, LlamaConfig, ModelFamily } from "./llama_config.ts";
import { QWEN_LAYOUT } from "./weight_layout.ts";

const FAMILIES = ["llama", "mistral", "qwen2", "qwen"] as const satisfies readonly ModelFamily[];
const DTYPES = ["float32", "float16", "bfloat16"] as const;

/** transformers' defaults for keys a config.json may omit, per family. */
const DEFAULTS: Record<ModelFamily, { maxPositions: number; bos: number | null; eos: number | null }> = {
  llama: { maxPositions: 2048, bos: 1, eos: 2 },
  mistral: { maxPositions: 4096 * 32, bos: 1, eos: 2 },
  qwen2: { maxPositions: 32768, bos: null, eos: null },
  // QWenConfig (configuration_qwen.py): max_position_embeddings 8192; no BOS/EOS keys (PretrainedConfig: None).
  qwen: { maxPositions: 8192, bos: null, eos: null },
};

const positiveInt = z.int().positive();
const tokenId = z.union([z.int().nonnegative(), z.array(z.int().nonnegative())]).nullish();

/**
 * `rope_scaling` (transformers 4) or `rope_parameters` (transformers 5, which also carries `rope_theta`).
 * Older configs spell the type `type`.
 */
const ropeSchema = z.object({
  rope_type: z.string().optional(),
  type: z.string().optional(),
  rope_theta: z.number().positive().optional(),
  factor: z.number().positive().optional(),
  low_freq_factor: z.number().positive().optional(),
  high_freq_factor: z.number().positive().optional(),
  original_max_position_embeddings: positiveInt.optional(),
}).loose();

/** The keys of a Hugging Face `config.json` that actpat reads, validated. */
const rawSchema = z.object({
  model_type: z.enum(FAMILIES, {
    error: (iss) =>
      iss.input === undefined
        ? "missing model_type"
        : `unsupported model_type ${JSON.stringify(iss.input)}@@(supported: ${FAMILIES.join(", ")})`,
  }),
  hidden_size: positiveInt,
  intermediate_size: positiveInt,
  num_hidden_layers: positiveInt,
  num_attention_heads: positiveInt,
  num_key_value_heads: positiveInt.nullish(),
  head_dim: positiveInt.nullish(),
  vocab_size: positiveInt,
  rms_norm_eps: z.number().positive().optional(),
  rope_theta: z.number().positive().optional(),
  rope_scaling: ropeSchema.nullish(),
  rope_parameters: ropeSchema.nullish(),
  max_position_embeddings: positiveInt.optional(),
  tie_word_embeddings: z.boolean().optional(),
  hidden_act: z.string().optional(),
  attention_bias: z.boolean().optional(),
  mlp_bias: z.boolean().optional(),
  sliding_window: positiveInt.nullish(),
  use_sliding_window: z.boolean().optional(),
  torch_dtype: z.string().nullish(),
  dtype: z.string().nullish(),
  bos_token_id: tokenId,
  eos_token_id: tokenId,
  // Qwen (v1), configuration_qwen.py, read only for model_type "qwen".
  kv_channels: positiveInt.optional(),
  layer_norm_epsilon: z.number().positive().optional(),
  rotary_emb_base: z.number().positive().optional(),
  rotary_pct: z.number().positive().max(1).optional(),
  seq_length: positiveInt.optional(),
  no_bias: z.boolean().optional(),
  use_dynamic_ntk: z.boolean().optional(),
  use_logn_attn: z.boolean().optional(),
  bf16: z.boolean().optional(),
  fp16: z.boolean().optional(),
}).loose();

/** The one schema from a Hugging Face `config.json` to {@link LlamaConfig}. */
export const configSchema = rawSchema.transform((c, ctx): LlamaConfig => {
  const refuse = (message: string) => {
    ctx.addIssue({ code: "custom", message });
    return z.NEVER;
  };
  const family = c.model_type;
  if (family === "qwen") return qwenConfig(c, refuse);
  const defaults = DEFAULTS[family];
  const numKvHeads = c.num_key_value_heads ?? c.num_attention_heads;
  if (c.num_attention_heads % numKvHeads !== 0) {
    return refuse(
      `num_attention_heads ${c.num_attention_heads} is not a multiple of num_key_value_heads ${numKvHeads}`,
    );
  }
  if (c.head_dim == null && c.hidden_size % c.num_attention_heads !== 0) {
    return refuse(
      `hidden_size ${c.hidden_size} is not a multiple of num_attention_heads and head_dim is not set`,
    );
  }
  const hiddenAct = c.hidden_act ?? "silu";
  if (hiddenAct !== "silu") return refuse(`unsupported hidden_act "${hiddenAct}"@@(supported: silu)`);
  if (family === "llama" && c.attention_bias) return refuse("unsupported attention_bias true (llama)");
  if (c.mlp_bias) return refuse("unsupported mlp_bias true");
  const dtype = c.dtype ?? c.torch_dtype ?? "float32";
  if (!(DTYPES as readonly string[]).includes(dtype)) {
    return refuse(`unsupported dtype "${dtype}"@@(supported: ${DTYPES.join(", ")})`);
  }

  const rope = c.rope_scaling ?? c.rope_parameters ?? {};
  const ropeType = rope.rope_type ?? rope.type ?? "default";
  let ropeScaling: Llama3RopeScaling | null = null;
  if (ropeType === "llama3") {
    const { factor, low_freq_factor, high_freq_factor, original_max_position_embeddings } = rope;
    if (!factor || !low_freq_factor || !high_freq_factor || !original_max_position_embeddings) {
      return refuse(
        "rope type llama3 needs factor, low_freq_factor, high_freq_factor and original_max_position_embeddings",
      );
    }
    ropeScaling = {
      type: "llama3",
      factor,
      lowFreqFactor: low_freq_factor,
      highFreqFactor: high_freq_factor,
      originalMaxPositionEmbeddings: original_max_position_embeddings,
    };
  } else if (ropeType !== "default") {
    return refuse(`unsupported rope type "${ropeType}"@@(supported: default, llama3)`);
  }

  let maxPositionEmbeddings = c.max_position_embeddings ?? defaults.maxPositions;
  // Sliding-window attention equals full causal attention on sequences no longer than the window, so a model
  // with a window is exact up to that length: cap the usable context there instead of refusing the model
  // (Mistral-7B-v0.1 has sliding_window 4096 < max_position_embeddings 32768). Qwen2 applies its window only
  // with use_sliding_window.
  const windowed = family === "mistral" || (family === "qwen2" && c.use_sliding_window === true);
  if (windowed && c.sliding_window != null) {
    maxPositionEmbeddings = Math.min(maxPositionEmbeddings, c.sliding_window);
  }

  return {
    family,
    hiddenSize: c.hidden_size,
    intermediateSize: c.intermediate_size,
    numLayers: c.num_hidden_layers,
    numHeads: c.num_attention_heads,
    numKvHeads,
    headDim: c.head_dim ?? c.hidden_size / c.num_attention_heads,
    vocabSize: c.vocab_size,
    rmsNormEps: c.rms_norm_eps ?? 1e-6,
    ropeTheta: rope.rope_theta ?? c.rope_theta ?? 10000,
    ropeScaling,
    maxPositionEmbeddings,
    tieWordEmbeddings: c.tie_word_embeddings ?? false,
    qkvBias: family === "qwen2",
    bosTokenId: firstId(c.bos_token_id, defaults.bos),
    eosTokenId: firstId(c.eos_token_id, defaults.eos),
    torchDtype: dtype as LlamaConfig["torchDtype"],
  };
});

type RawConfig = z.infer<typeof rawSchema>;

function firstId(id: number | number[] | null | undefined, fallback: number | null): number | null {
  return id === undefined ? fallback : Array.isArray(id) ? (id[0] ?? null) : id;
}

/**
 * Qwen (v1), `QWenLMHeadModel` (modeling_qwen.py of Qwen/Qwen-7B) as a Llama decoder: RMSNorm (eps
 * `layer_norm_epsilon`), rotate-half RoPE over `kv_channels` dims (base `rotary_emb_base`), full multi-head
 * attention, q/k/v bias from the fused `c_attn`, SiLU-gated MLP of width `intermediate_size / 2` (`QWenMLP`
 * builds w1, w2 with `intermediate_size // 2` outputs), untied lm_head by default; weights under Qwen's names
 * ({@link QWEN_LAYOUT}).
 *
 * `use_dynamic_ntk` (RoPE base scaled by an NTK factor) and `use_logn_attn` (queries scaled by log_seq_length
 * of the position) act only when the sequence is longer than `seq_length`: modeling_qwen.py sets the NTK
 * factor to 1 for up to `seq_length` tokens and its logn factors are 1 there. With either on (Qwen-7B: both),
 * the usable context is therefore capped at `seq_length`, where actpat's plain RoPE is exact, as a sliding
 * window caps Mistral's.
 */
function qwenConfig(c: RawConfig, refuse: (message: string) => never): LlamaConfig {
  const kvChannels = c.kv_channels ?? 128;
  if (kvChannels * c.num_attention_heads !== c.hidden_size) {
    // QWenAttention splits c_attn's output at hidden_size and its heads at hidden_size / heads, so both must agree.
    return refuse(
      `kv_channels ${kvChannels} × num_attention_heads ${c.num_attention_heads} is not hidden_size ${c.hidden_size}`,
    );
  }
  if ((c.rotary_pct ?? 1) !== 1) return refuse(`unsupported rotary_pct ${c.rotary_pct}@@(supported: 1.0)`);
  if (c.no_bias === false) {
    return refuse("unsupported no_bias false (biases on c_proj, w1, w2)@@(supported: true)");
  }
  if (c.seq_length === undefined) return refuse("missing seq_length (modeling_qwen.py needs it)");
  const dtype = c.dtype ?? c.torch_dtype ?? (c.bf16 ? "bfloat16" : c.fp16 ? "float16" : "float32");
  if (!(DTYPES as readonly string[]).includes(dtype)) {
    return refuse(`unsupported dtype "${dtype}"@@(supported: ${DTYPES.join(", ")})`);
  }
  const lengthDependent = (c.use_dynamic_ntk ?? true) || (c.use_logn_attn ?? true);
  const maxPositions = c.max_position_embeddings ?? DEFAULTS.qwen.maxPositions;
  return {
    family: "qwen",
    hiddenSize: c.hidden_size,
    intermediateSize: Math.floor(c.intermediate_size / 2),
    numLayers: c.num_hidden_layers,
    numHeads: c.num_attention_heads,
    numKvHeads: c.num_attention_heads,
    headDim: kvChannels,
    vocabSize: c.vocab_size,
    rmsNormEps: c.layer_norm_epsilon ?? 1e-6,
    ropeTheta: c.rotary_emb_base ?? 10000,
    ropeScaling: null,
    maxPositionEmbeddings: lengthDependent ? Math.min(maxPositions, c.seq_length) : maxPositions,
    tieWordEmbeddings: c.tie_word_embeddings ?? false,
    qkvBias: true,
    bosTokenId: firstId(c.bos_token_id, DEFAULTS.qwen.bos),
    eosTokenId: firstId(c.eos_token_id, DEFAULTS.qwen.eos),
    torchDtype: dtype as LlamaConfig["torchDtype"],
    weightLayout: QWEN_LAYOUT,
  };
}

/**
 * Parses a config.json object; `source` (the file) is named in errors, e.g.
 * `Cannot load model: unsupported model_type "gpt2" in m/config.json (supported: llama, mistral, qwen2, qwen)`.
 */
export function parseConfig(json: unknown, source: string): LlamaConfig {
  const parsed = configSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues;
  const issue = issues.find((i) => i.path[0] === "model_type") ?? issues[0];
  let detail: string;
  if (issue.code === "custom" || issue.path[0] === "model_type") {
    // Our own messages mark where the file name goes with "@@" so the "(supported: ...)" list can follow it.
    const [what, hint] = issue.message.split("@@");
    detail = `${what} in ${source}${hint ? ` ${hint}` : ""}`;
  } else {
    const key = issue.path.join(".");
    const got = valueAt(json, issue.path);
    detail = got === undefined
      ? `missing ${key} in ${source}`
      : `invalid ${key} in ${source}: ${issue.message.replace(/^Invalid input: /, "")} (got ${
        JSON.stringify(got)
      })`;
  }
  throw new ActpatError("load model", detail);
}

function valueAt(json: unknown, path: PropertyKey[]): unknown {
  let v: unknown = json;
  for (const k of path) {
    v = v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  }
  return v;
}

/** Reads and parses `<dir>/config.json`. */
export async function readConfig(dir: string): Promise<LlamaConfig> {
  const path = join(dir, "config.json");
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    const detail = err instanceof Deno.errors.NotFound
      ? `no config.json in ${dir}`
      : `${path} is unreadable (${err})`;
    throw new ActpatError("load model", detail);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ActpatError("load model", `${path} is not valid JSON (${(err as Error).message})`);
  }
  return parseConfig(json, path);
}
