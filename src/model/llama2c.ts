import { ActpatError } from "../util/errors.ts";
import type { LlamaConfig } from "./llama_config.ts";
import { createWeightStore } from "./weight_store.ts";
import type { WeightStore, WeightTensor } from "./weights.ts";

/** The seven int32 header fields of a llama2.c legacy (v0) checkpoint. */
export interface Llama2cHeader {
  dim: number;
  hiddenDim: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  /** Absolute vocabulary size (the file stores it negated when the classifier is separate). */
  vocabSize: number;
  sharedClassifier: boolean;
  seqLen: number;
}

const HEADER_BYTES = 28;
/** "ak42", the magic of llama2.c's versioned (v1, v2) exports. */
const VERSIONED_MAGIC = 0x616b3432;

/** Reads the header of a llama2.c checkpoint (the first 28 bytes). */
export async function readLlama2cHeader(path: string): Promise<Llama2cHeader> {
  using file = await openOrFail(path);
  const bytes = new Uint8Array(HEADER_BYTES);
  let done = 0;
  while (done < HEADER_BYTES) {
    const n = await file.read(bytes.subarray(done));
    if (n === null) break;
    done += n;
  }
  if (done < HEADER_BYTES) {
    throw new ActpatError("load model", `${path} is ${done} bytes, too short for a llama2.c header`);
  }
  return parseHeader(bytes, path);
}

function parseHeader(bytes: Uint8Array, path: string): Llama2cHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  if (view.getUint32(0, true) === VERSIONED_MAGIC) {
    throw new ActpatError(
      "load model",
      `${path} is a versioned llama2.c export (version ${
        view.getInt32(4, true)
      }); only the legacy format is supported`,
    );
  }
  const [dim, hiddenDim, nLayers, nHeads, nKvHeads, vocab, seqLen] = Array.from(
    { length: 7 },
    (_, i) => view.getInt32(4 * i, true),
  );
  const header = {
    dim,
    hiddenDim,
    nLayers,
    nHeads,
    nKvHeads,
    vocabSize: Math.abs(vocab),
    sharedClassifier: vocab > 0,
    seqLen,
  };
  const sane = [dim, hiddenDim, nLayers, nHeads, nKvHeads, vocab !== 0 ? 1 : 0, seqLen].every((v) => v > 0) &&
    dim % nHeads === 0 && nHeads % nKvHeads === 0 && (dim / nHeads) % 2 === 0;
  if (!sane) {
    throw new ActpatError(
      "load model",
      `${path} does not start with a valid llama2.c header (dim ${dim}, hidden_dim ${hiddenDim}, n_layers ` +
        `${nLayers}, n_heads ${nHeads}, n_kv_heads ${nKvHeads}, vocab_size ${vocab}, seq_len ${seqLen})`,
    );
  }
  return header;
}

/** The {@link LlamaConfig} a llama2.c header describes (run.c's fixed eps 1e-5, theta 10000, BOS 1, EOS 2). */
export function llama2cConfig(h: Llama2cHeader): LlamaConfig {
  return {
    family: "llama",
    hiddenSize: h.dim,
    intermediateSize: h.hiddenDim,
    numLayers: h.nLayers,
    numHeads: h.nHeads,
    numKvHeads: h.nKvHeads,
    headDim: h.dim / h.nHeads,
    vocabSize: h.vocabSize,
    rmsNormEps: 1e-5,
    ropeTheta: 10000,
    ropeScaling: null,
    maxPositionEmbeddings: h.seqLen,
    tieWordEmbeddings: h.sharedClassifier,
    qkvBias: false,
    bosTokenId: 1,
    eosTokenId: 2,
    torchDtype: "float32",
  };
}

/**
 * Loads a llama2.c legacy checkpoint into Hugging Face names and layout: matrices are already [out, in];
 * q and k rows are permuted from llama2.c's adjacent-pair RoPE layout to rotate-half. The classifier is tied
 * (no `lm_head.weight`) when the header's vocab_size is positive.
 */
export async function loadLlama2c(path: string): Promise<{ config: LlamaConfig; weights: WeightStore }> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (err) {
    const why = err instanceof Deno.errors.NotFound ? "no such file" : String(err);
    throw new ActpatError("load model", `${path}: ${why}`);
  }
  if (bytes.length < HEADER_BYTES) {
    throw new ActpatError("load model", `${path} is ${bytes.length} bytes, too short for a llama2.c header`);
  }
  const h = parseHeader(bytes, path);
  const config = llama2cConfig(h);
  const { dim, hiddenDim: hidden, nLayers: L, vocabSize: vocab } = h;
  const headDim = dim / h.nHeads;
  const kvDim = h.nKvHeads * headDim;
  const ropeTable = h.seqLen * (headDim / 2);
  const floats = vocab * dim + L * dim + L * dim * dim + 2 * L * kvDim * dim + L * dim * dim + L * dim +
    3 * L * hidden * dim + dim + 2 * ropeTable + (h.sharedClassifier ? 0 : vocab * dim);
  const want = HEADER_BYTES + 4 * floats;
  if (bytes.length !== want) {
    throw new ActpatError(
      "load model",
      `${path} is ${bytes.length} bytes but its llama2.c header (dim ${dim}, hidden_dim ${hidden}, ${L} layers, ` +
        `${h.nKvHeads} kv heads, vocab ${vocab}, seq_len ${h.seqLen}) implies ${want}`,
    );
  }
  // The floats start at byte 28, 4-aligned: view them in place rather than copying the file.
  const start = bytes.byteOffset + HEADER_BYTES;
  const all = start % 4 === 0
    ? new Float32Array(bytes.buffer, start, floats)
    : new Float32Array(bytes.buffer.slice(start, start + 4 * floats));
  let pos = 0;
  const take = (n: number) => all.subarray(pos, pos += n);
  const perLayer = (n: number) => Array.from({ length: L }, () => take(n));

  const embed = take(vocab * dim);
  const attnNorm = perLayer(dim);
  const wq = perLayer(dim * dim);
  const wk = perLayer(kvDim * dim);
  const wv = perLayer(kvDim * dim);
  const wo = perLayer(dim * dim);
  const ffnNorm = perLayer(dim);
  const w1 = perLayer(hidden * dim);
  const w2 = perLayer(dim * hidden);
  const w3 = perLayer(hidden * dim);
  const finalNorm = take(dim);
  take(2 * ropeTable); // freq_cis_real, freq_cis_imag: unused by run.c, recomputed by every runtime.
  const classifier = h.sharedClassifier ? null : take(vocab * dim);

  const tensors: WeightTensor[] = [];
  const add = (name: string, shape: number[], data: Float32Array) =>
    tensors.push({ name, dtype: "F32", shape, source: { kind: "memory", data } });
  add("model.embed_tokens.weight", [vocab, dim], embed);
  for (let l = 0; l < L; l++) {
    const p = `model.layers.${l}`;
    add(`${p}.input_layernorm.weight`, [dim], attnNorm[l]);
    add(`${p}.self_attn.q_proj.weight`, [dim, dim], pairsToRotateHalf(wq[l], h.nHeads, headDim, dim));
    add(`${p}.self_attn.k_proj.weight`, [kvDim, dim], pairsToRotateHalf(wk[l], h.nKvHeads, headDim, dim));
    add(`${p}.self_attn.v_proj.weight`, [kvDim, dim], wv[l]);
    add(`${p}.self_attn.o_proj.weight`, [dim, dim], wo[l]);
    add(`${p}.post_attention_layernorm.weight`, [dim], ffnNorm[l]);
    add(`${p}.mlp.gate_proj.weight`, [hidden, dim], w1[l]);
    add(`${p}.mlp.up_proj.weight`, [hidden, dim], w3[l]);
    add(`${p}.mlp.down_proj.weight`, [dim, hidden], w2[l]);
  }
  add("model.norm.weight", [dim], finalNorm);
  if (classifier) add("lm_head.weight", [vocab, dim], classifier);
  return { config, weights: createWeightStore(tensors, path) };
}

/**
 * Reorders the rows of a q or k projection from adjacent RoPE pairs (2i, 2i+1) to rotate-half (i, i + d/2)
 * within each head — transformers' conversion `w.view(heads, d/2, 2, in).transpose(1, 2).reshape(...)`:
 * new row h·d + j·d/2 + i takes old row h·d + 2i + j.
 */
export function pairsToRotateHalf(
  w: Float32Array,
  heads: number,
  headDim: number,
  cols: number,
): Float32Array {
  const out = new Float32Array(w.length);
  const half = headDim / 2;
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const from = (h * headDim + 2 * i + j) * cols;
        const to = (h * headDim + j * half + i) * cols;
        out.set(w.subarray(from, from + cols), to);
      }
    }
  }
  return out;
}

async function openOrFail(path: string): Promise<Deno.FsFile> {
  try {
    return await Deno.open(path, { read: true });
  } catch (err) {
    const why = err instanceof Deno.errors.NotFound ? "no such file" : String(err);
    throw new ActpatError("load model", `${path}: ${why}`);
  }
}
