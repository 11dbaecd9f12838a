/**
 * Checkpoint layouts: how the tensors a checkpoint stores map onto actpat's internal tensors, which carry
 * transformers' Llama names (`model.layers.N.self_attn.q_proj.weight`, ...) and shapes. Every graph, every
 * experiment and every statistic speaks the internal names; only loading and writing a checkpoint see its own.
 *
 * A layout is data, chosen once by the config schema (`parse_config.ts`): a checkpoint tensor holds one
 * internal tensor (a rename) or several stacked along dim 0 (Qwen's fused `c_attn`, q, k and v rows in that
 * order). Stacked rows of a row-major tensor are contiguous bytes, so an internal tensor of a fused one is a
 * byte range of the same file: it is read and handed to onnxruntime without a copy, and the paper's 7 linears
 * per layer (q, k, v, o, gate, up, down) keep their own statistics. Writing goes the other way: the parts are
 * concatenated back into the checkpoint's tensor (`pruned_checkpoint.ts`, `random_checkpoint.ts`).
 */
import { ActpatError } from "../util/errors.ts";
import { type ExpectedTensor, expectedTensors, type LlamaConfig } from "./llama_config.ts";
import { createWeightStore } from "./weight_store.ts";
import {
  STORAGE_BYTES,
  type StorageDType,
  type TensorSource,
  type WeightStore,
  type WeightTensor,
} from "./weights.ts";

/** A checkpoint's own tensor names, as a map onto the internal names. */
export interface WeightLayout {
  /** The model class whose names these are, for messages. */
  name: string;
  /** Tensors outside the decoder layers: internal name → checkpoint name. */
  outer: Readonly<Record<string, string>>;
  /** Decoder layer l's tensors are `${layerPrefix}${l}.<checkpoint suffix>`. */
  layerPrefix: string;
  /**
   * Per decoder layer: each checkpoint tensor (suffix) and the internal tensors (suffixes after
   * `model.layers.N.`) it holds, stacked along dim 0 in this order. Every internal tensor of a layer appears
   * exactly once.
   */
  layer: readonly { checkpoint: string; parts: readonly string[] }[];
}

/**
 * Qwen (v1), `QWenLMHeadModel` (modeling_qwen.py of Qwen/Qwen-7B): `transformer.wte`; per block `ln_1`,
 * `attn.c_attn` (q, k, v rows of one [3·d, d] weight and its [3·d] bias: `mixed.split(hidden_size, dim=2)`),
 * `attn.c_proj` (o), `ln_2`, `mlp.w1`, `mlp.w2`, `mlp.c_proj`; `transformer.ln_f`; `lm_head`. Qwen's MLP is
 * `c_proj(w1(x) * silu(w2(x)))`: the SiLU-gated branch is w2, so w2 is gate_proj and w1 is up_proj.
 */
export const QWEN_LAYOUT: WeightLayout = {
  name: "QWenLMHeadModel",
  outer: {
    "model.embed_tokens.weight": "transformer.wte.weight",
    "model.norm.weight": "transformer.ln_f.weight",
    "lm_head.weight": "lm_head.weight",
  },
  layerPrefix: "transformer.h.",
  layer: [
    { checkpoint: "ln_1.weight", parts: ["input_layernorm.weight"] },
    {
      checkpoint: "attn.c_attn.weight",
      parts: ["self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight"],
    },
    {
      checkpoint: "attn.c_attn.bias",
      parts: ["self_attn.q_proj.bias", "self_attn.k_proj.bias", "self_attn.v_proj.bias"],
    },
    { checkpoint: "attn.c_proj.weight", parts: ["self_attn.o_proj.weight"] },
    { checkpoint: "ln_2.weight", parts: ["post_attention_layernorm.weight"] },
    { checkpoint: "mlp.w1.weight", parts: ["mlp.up_proj.weight"] },
    { checkpoint: "mlp.w2.weight", parts: ["mlp.gate_proj.weight"] },
    { checkpoint: "mlp.c_proj.weight", parts: ["mlp.down_proj.weight"] },
  ],
};

/** A tensor as the checkpoint stores it, and the internal tensors it holds stacked along dim 0, in order. */
export interface StoredTensor {
  name: string;
  shape: number[];
  parts: ExpectedTensor[];
}

/**
 * Every tensor a checkpoint of `config` stores, in the internal order of their first parts. Without a
 * layout (transformers' Llama, Mistral, Qwen2 names) each internal tensor is stored as itself.
 */
export function storedTensors(config: LlamaConfig): StoredTensor[] {
  const expected = expectedTensors(config);
  const layout = config.weightLayout;
  if (!layout) return expected.map((t) => ({ name: t.name, shape: t.shape, parts: [t] }));
  const byInternal = new Map(expected.map((t) => [t.name, t]));
  const groups = new Map<string, { name: string; parts: string[] }>();
  const groupOf = new Map<string, string>();
  const add = (stored: string, parts: string[]) => {
    groups.set(stored, { name: stored, parts });
    for (const p of parts) groupOf.set(p, stored);
  };
  for (const [internal, stored] of Object.entries(layout.outer)) {
    if (byInternal.has(internal)) add(stored, [internal]);
  }
  for (let l = 0; l < config.numLayers; l++) {
    for (const { checkpoint, parts } of layout.layer) {
      add(`${layout.layerPrefix}${l}.${checkpoint}`, parts.map((p) => `model.layers.${l}.${p}`));
    }
  }
  const out: StoredTensor[] = [];
  const emitted = new Set<string>();
  for (const t of expected) {
    const stored = groupOf.get(t.name);
    if (stored === undefined) {
      throw new ActpatError("map weights", `the ${layout.name} layout has no place for ${t.name}`);
    }
    if (emitted.has(stored)) continue;
    emitted.add(stored);
    const parts = groups.get(stored)!.parts.map((p) => {
      const part = byInternal.get(p);
      if (!part) {
        throw new ActpatError(
          "map weights",
          `${stored} of ${layout.name} holds ${p}, which ${config.family} has not`,
        );
      }
      return part;
    });
    const rest = parts[0].shape.slice(1);
    if (parts.some((p) => p.shape.slice(1).join() !== rest.join())) {
      throw new ActpatError("map weights", `the parts of ${stored} differ beyond dim 0`);
    }
    out.push({ name: stored, shape: [parts.reduce((a, p) => a + p.shape[0], 0), ...rest], parts });
  }
  return out;
}

/**
 * The stored tensors that hold exactly the tensors `names` of `store` (e.g. one decoder layer's), in
 * {@link storedTensors} order; refuses a set that covers only some parts of a stored tensor. A name that is no
 * tensor of the architecture (a RoPE cache some exporters add) is stored as itself, with its shape in `store`.
 */
export function storedTensorsOf(
  config: LlamaConfig,
  names: readonly string[],
  store: Pick<WeightStore, "get">,
): StoredTensor[] {
  const wanted = new Set(names);
  const out = storedTensors(config).filter((s) => s.parts.some((p) => wanted.has(p.name)));
  for (const s of out) {
    const missing = s.parts.find((p) => !wanted.has(p.name));
    if (missing) {
      throw new ActpatError(
        "map weights",
        `${s.name} also holds ${missing.name}, which is not among the tensors`,
      );
    }
    for (const p of s.parts) wanted.delete(p.name);
  }
  for (const name of wanted) {
    const shape = store.get(name).shape;
    out.push({ name, shape, parts: [{ name, shape }] });
  }
  return out;
}

/**
 * The internal tensors a stored tensor holds, each a slice of its source: a byte range of the same file, or
 * a view of the same memory.
 */
export function splitStored(
  stored: StoredTensor,
  tensor: Pick<WeightTensor, "dtype" | "source">,
): WeightTensor[] {
  let row = 0;
  const rowSize = stored.shape.slice(1).reduce((a, b) => a * b, 1);
  return stored.parts.map((part) => {
    const from = row * rowSize;
    const count = part.shape.reduce((a, b) => a * b, 1);
    row += part.shape[0];
    const src = tensor.source;
    const source: TensorSource = src.kind === "file"
      ? {
        kind: "file",
        path: src.path,
        offset: src.offset + from * STORAGE_BYTES[tensor.dtype],
        byteLength: count * STORAGE_BYTES[tensor.dtype],
      }
      : { kind: "memory", data: src.data.subarray(from, from + count) };
    return { name: part.name, dtype: tensor.dtype, shape: part.shape, source };
  });
}

/**
 * The internal view of a checkpoint's weights (validated against {@link storedTensors} first, see
 * `validate_weights.ts`): the store itself when the config has no layout, else a store of internal names
 * whose tensors are slices of the stored ones. Stored tensors of no internal use (RoPE caches) are left out.
 */
export function internalWeights(config: LlamaConfig, stored: WeightStore, label: string): WeightStore {
  if (!config.weightLayout) return stored;
  const tensors: WeightTensor[] = [];
  for (const s of storedTensors(config)) tensors.push(...splitStored(s, stored.get(s.name)));
  return createWeightStore(tensors, label);
}

/** The storage dtype shared by the parts of a stored tensor, from `dtypeOf(part name)`. */
export function storedDType(stored: StoredTensor, dtypeOf: (name: string) => StorageDType): StorageDType {
  const dtype = dtypeOf(stored.parts[0].name);
  const other = stored.parts.find((p) => dtypeOf(p.name) !== dtype);
  if (other) {
    throw new ActpatError(
      "map weights",
      `${stored.name}: ${other.name} is ${dtypeOf(other.name)}, not ${dtype}`,
    );
  }
  return dtype;
}
