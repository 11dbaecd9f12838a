/**
 * Seeded random tiny Llama-family checkpoints for tests: configs that cover MHA and GQA, tied and untied
 * embeddings, q/k/v bias, llama3 RoPE scaling and a head_dim that differs from hidden / heads, with
 * in-memory weight stores (and, for storage-dtype tests, the same weights written as a safetensors file).
 */
import { join } from "node:path";
import {
  LINEAR_MODULES,
  linearShape,
  linearWeightName,
  type LlamaConfig,
} from "../../src/model/llama_config.ts";
import {
  STORAGE_BYTES,
  type StorageDType,
  type WeightStore,
  type WeightTensor,
} from "../../src/model/weights.ts";
import { mulberry32 } from "../fixtures/random.ts";

/** A tiny checkpoint: its config, its weights as a store, and the same weights in float64 by name. */
export interface TinyModel {
  name: string;
  config: LlamaConfig;
  store: WeightStore;
  weights: Map<string, Float64Array>;
}

/** Standard normal samples from a uniform generator (Box–Muller). */
export function seededNormal(seed: number): () => number {
  const u = mulberry32(seed);
  return () => {
    const r = Math.sqrt(-2 * Math.log(1 - u()));
    return r * Math.cos(2 * Math.PI * u());
  };
}

function baseConfig(overrides: Partial<LlamaConfig>): LlamaConfig {
  return {
    family: "llama",
    hiddenSize: 8,
    intermediateSize: 16,
    numLayers: 2,
    numHeads: 2,
    numKvHeads: 2,
    headDim: 4,
    vocabSize: 20,
    rmsNormEps: 1e-5,
    ropeTheta: 10000,
    ropeScaling: null,
    maxPositionEmbeddings: 64,
    tieWordEmbeddings: true,
    qkvBias: false,
    bosTokenId: 1,
    eosTokenId: 2,
    torchDtype: "float32",
    ...overrides,
  };
}

/** The tiny configurations every Llama graph test runs on, by name. */
export const TINY_CONFIGS: Record<string, LlamaConfig> = {
  /** Multi-head attention, tied embeddings. */
  mha_tied: baseConfig({}),
  /** Grouped-query attention (2 query heads per kv head), separate lm_head. */
  gqa_untied: baseConfig({
    hiddenSize: 16,
    intermediateSize: 24,
    numHeads: 4,
    numKvHeads: 2,
    vocabSize: 24,
    tieWordEmbeddings: false,
  }),
  /** Qwen2-style q/k/v bias, one kv head for three query heads. */
  qkv_bias_gqa: baseConfig({
    family: "qwen2",
    hiddenSize: 12,
    intermediateSize: 20,
    numHeads: 3,
    numKvHeads: 1,
    vocabSize: 32,
    qkvBias: true,
    ropeTheta: 1000000,
  }),
  /**
   * Llama 3 RoPE scaling. head_dim 8 with theta 10000 gives wavelengths 6.3, 63, 628, 6283; with an original
   * context of 64 and low/high frequency factors 1/4 (thresholds 64 and 16) each branch of the scaling
   * (kept, smoothed, divided) is taken.
   */
  llama3_rope: baseConfig({
    hiddenSize: 16,
    intermediateSize: 20,
    numHeads: 2,
    numKvHeads: 1,
    headDim: 8,
    vocabSize: 28,
    tieWordEmbeddings: false,
    ropeScaling: {
      type: "llama3",
      factor: 8,
      lowFreqFactor: 1,
      highFreqFactor: 4,
      originalMaxPositionEmbeddings: 64,
    },
  }),
  /** Explicit head_dim (6) unlike hidden / heads (5): q/o are not square. */
  wide_heads: baseConfig({
    family: "mistral",
    hiddenSize: 10,
    intermediateSize: 14,
    numHeads: 2,
    numKvHeads: 1,
    headDim: 6,
    vocabSize: 22,
    rmsNormEps: 1e-6,
  }),
};

/** Names and shapes of every tensor of a config, in Hugging Face naming. */
export function tensorShapes(config: LlamaConfig): [string, number[]][] {
  const d = config.hiddenSize;
  const out: [string, number[]][] = [["model.embed_tokens.weight", [config.vocabSize, d]]];
  for (let l = 0; l < config.numLayers; l++) {
    out.push([`model.layers.${l}.input_layernorm.weight`, [d]]);
    out.push([`model.layers.${l}.post_attention_layernorm.weight`, [d]]);
    for (const m of LINEAR_MODULES) out.push([linearWeightName(l, m), linearShape(config, m)]);
    if (config.qkvBias) {
      for (const m of ["q_proj", "k_proj", "v_proj"] as const) {
        out.push([`model.layers.${l}.self_attn.${m}.bias`, [linearShape(config, m)[0]]]);
      }
    }
  }
  out.push(["model.norm.weight", [d]]);
  if (!config.tieWordEmbeddings) out.push(["lm_head.weight", [config.vocabSize, d]]);
  return out;
}

/**
 * Values on a grid of 1/64 with |x| < 4, so they are exact in float32, float16 and bfloat16 alike: the same
 * checkpoint can be stored in any dtype and the float64 reference still sees identical weights.
 */
function gridValue(x: number): number {
  return Math.max(-255, Math.min(255, Math.round(x * 64))) / 64;
}

/**
 * Random weights of the given config: embeddings ~N(0,1), linear weights ~N(0, 1/in) so activations stay
 * O(1), norm weights 1 + N(0, 0.2²), biases N(0, 0.3²); all on the 1/64 grid.
 */
export function randomWeights(config: LlamaConfig, seed: number): Map<string, Float64Array> {
  const normal = seededNormal(seed);
  const out = new Map<string, Float64Array>();
  for (const [name, shape] of tensorShapes(config)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const data = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      let x: number;
      if (name.endsWith("norm.weight")) x = 1 + 0.2 * normal();
      else if (name.endsWith(".bias")) x = 0.3 * normal();
      else if (name.includes("embed_tokens") || name === "lm_head.weight") x = normal();
      else x = normal() * 1.5 / Math.sqrt(shape[1]);
      data[i] = gridValue(x);
    }
    out.set(name, data);
  }
  return out;
}

/** A {@link WeightStore} over in-memory float32 tensors. */
export function memoryWeightStore(
  weights: ReadonlyMap<string, Float64Array>,
  config: LlamaConfig,
): WeightStore {
  const shapes = new Map(tensorShapes(config));
  const tensors = new Map<string, WeightTensor>();
  for (const [name, data] of weights) {
    const shape = shapes.get(name) ?? [data.length];
    tensors.set(name, {
      name,
      dtype: "F32",
      shape,
      source: { kind: "memory", data: Float32Array.from(data) },
    });
  }
  return storeOf(tensors, "memory");
}

function storeOf(tensors: Map<string, WeightTensor>, label: string): WeightStore {
  const get = (name: string): WeightTensor => {
    const t = tensors.get(name);
    if (t === undefined) throw new Error(`Cannot find tensor: ${name} in ${label}`);
    return t;
  };
  return {
    names: () => [...tensors.keys()],
    has: (name) => tensors.has(name),
    get,
    readFloat32: async (name) => {
      const t = get(name);
      if (t.source.kind === "memory") return t.source.data.slice();
      const file = await Deno.open(t.source.path);
      try {
        const bytes = new Uint8Array(t.source.byteLength);
        await file.seek(t.source.offset, Deno.SeekMode.Start);
        let read = 0;
        while (read < bytes.length) {
          const n = await file.read(bytes.subarray(read));
          if (n === null) throw new Error(`short read of ${name}`);
          read += n;
        }
        return decode(bytes, t.dtype);
      } finally {
        file.close();
      }
    },
  };
}

function encode(data: Float64Array, dtype: StorageDType): Uint8Array {
  const f32 = Float32Array.from(data);
  const bits = new Uint32Array(f32.buffer);
  if (dtype === "F32") return new Uint8Array(f32.buffer);
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const b = bits[i];
    if (dtype === "BF16") {
      out[i] = b >>> 16; // exact: grid values need at most 8 significant bits
    } else if ((b & 0x7fffffff) === 0) {
      out[i] = (b >>> 16) & 0x8000;
    } else {
      const sign = (b >>> 16) & 0x8000;
      const exp = ((b >>> 23) & 0xff) - 127 + 15;
      out[i] = sign | (exp << 10) | ((b >>> 13) & 0x3ff); // exact for normal grid values
    }
  }
  return new Uint8Array(out.buffer);
}

function decode(bytes: Uint8Array, dtype: StorageDType): Float32Array {
  const copy = bytes.slice();
  if (dtype === "F32") return new Float32Array(copy.buffer);
  const half = new Uint16Array(copy.buffer);
  const out = new Float32Array(half.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < half.length; i++) {
    const h = half[i];
    if (dtype === "BF16") {
      bits[i] = h << 16;
    } else {
      const sign = h & 0x8000 ? -1 : 1;
      const exp = (h >>> 10) & 0x1f;
      const mant = h & 0x3ff;
      out[i] = exp === 0 ? sign * mant * 2 ** -24 : sign * (1 + mant / 1024) * 2 ** (exp - 15);
    }
  }
  return out;
}

/**
 * Writes the weights as `<dir>/model.safetensors` in `dtype` and returns a store whose tensors are `file`
 * sources (byte ranges of that file), as a real checkpoint's would be.
 */
export async function writeSafetensors(
  dir: string,
  weights: ReadonlyMap<string, Float64Array>,
  config: LlamaConfig,
  dtype: StorageDType,
): Promise<WeightStore> {
  const shapes = new Map(tensorShapes(config));
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, data] of weights) {
    const bytes = encode(data, dtype);
    header[name] = { dtype, shape: shapes.get(name), data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  // Pad the header with spaces so the data section starts 8-byte aligned, as safetensors writers do.
  const padded = Math.ceil(json.length / 8) * 8;
  json = new TextEncoder().encode(JSON.stringify(header).padEnd(padded, " "));
  const path = join(dir, "model.safetensors");
  const file = new Uint8Array(8 + json.length + offset);
  new DataView(file.buffer).setBigUint64(0, BigInt(json.length), true);
  file.set(json, 8);
  let pos = 8 + json.length;
  for (const c of chunks) {
    file.set(c, pos);
    pos += c.length;
  }
  await Deno.writeFile(path, file);
  const tensors = new Map<string, WeightTensor>();
  offset = 8 + json.length;
  for (const [name, data] of weights) {
    const byteLength = data.length * STORAGE_BYTES[dtype];
    tensors.set(name, {
      name,
      dtype,
      shape: shapes.get(name) ?? [data.length],
      source: { kind: "file", path, offset, byteLength },
    });
    offset += byteLength;
  }
  return storeOf(tensors, path);
}

/** A tiny model of the named config with seeded random weights in memory. */
export function tinyModel(name: keyof typeof TINY_CONFIGS & string, seed = 1): TinyModel {
  const config = TINY_CONFIGS[name];
  if (config === undefined) throw new Error(`unknown tiny config ${name}`);
  const weights = randomWeights(config, seed);
  return { name, config, weights, store: memoryWeightStore(weights, config) };
}

/** Random token ids in [0, vocab) of the given length. */
export function randomIds(config: LlamaConfig, length: number, seed: number): number[] {
  const u = mulberry32(seed);
  return Array.from({ length }, () => Math.floor(u() * config.vocabSize));
}
