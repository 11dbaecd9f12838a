/**
 * An independent float64 reference of the Llama-family forward pass (Hugging Face `LlamaForCausalLM`
 * semantics), written with plain loops over one sequence so that every graph builder in `src/model/llama`
 * can be checked against it. Deliberately shares no code with the graph builders: it reads weights by their
 * Hugging Face names and follows `modeling_llama.py` step by step. For tiny shapes only.
 */
import { LINEAR_MODULES, type LinearModule, type LlamaConfig } from "../../src/model/llama_config.ts";
import type { WeightStore } from "../../src/model/weights.ts";

/** Float64 weights by Hugging Face tensor name. */
export type ReferenceWeights = ReadonlyMap<string, Float64Array>;

/** Everything the reference computed for one sequence; rows are per token. */
export interface ReferenceTrace {
  /** Next-token logits [T][vocab]. */
  logits: Float64Array[];
  /**
   * Residual stream entering each decoder layer, plus the last layer's output: [L + 1][T][hidden] (indexed
   * from the starting layer when `from` is given).
   */
  hidden: Float64Array[][];
  /** Input of each linear of each layer: [L] → module → [T][in]. */
  linearInputs: Record<LinearModule, Float64Array[]>[];
  /** Attention probabilities of each layer: [L][query head][query t] → p(t, s) for keys s = 0..t. */
  attention: Float64Array[][][];
}

/** Options of {@link referenceForward}. */
export interface ReferenceOptions {
  /** Position id of each token (default 0..T-1). */
  positions?: number[];
  /** Compute the logits of the last position only (`logits` then has one row). */
  lastOnly?: boolean;
  /** Start at decoder layer `layer` from its input `hidden` ([T][hidden]) instead of the embeddings. */
  from?: { layer: number; hidden: Float64Array[] };
}

/** Reads every tensor of a store into float64 (small checkpoints only). */
export async function weightsToFloat64(store: WeightStore): Promise<Map<string, Float64Array>> {
  const out = new Map<string, Float64Array>();
  for (const name of store.names()) out.set(name, Float64Array.from(await store.readFloat32(name)));
  return out;
}

/**
 * RoPE inverse frequencies, as transformers' `_compute_default_rope_parameters` and, for
 * `rope_type: "llama3"`, `_compute_llama3_parameters` (attention factor 1 in both).
 */
export function ropeInvFreq(config: LlamaConfig): Float64Array {
  const dim = config.headDim;
  const half = dim / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / Math.pow(config.ropeTheta, (2 * i) / dim);
  const s = config.ropeScaling;
  if (s === null) return inv;
  const lowFreqWavelen = s.originalMaxPositionEmbeddings / s.lowFreqFactor;
  const highFreqWavelen = s.originalMaxPositionEmbeddings / s.highFreqFactor;
  for (let i = 0; i < half; i++) {
    const wavelen = (2 * Math.PI) / inv[i];
    // Long wavelengths are divided by the factor; short ones kept; in between, a smooth blend of the two
    // (computed from the already-selected value, exactly as transformers does).
    const selected = wavelen > lowFreqWavelen ? inv[i] / s.factor : inv[i];
    const isMedium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
    if (isMedium) {
      const smooth = (s.originalMaxPositionEmbeddings / wavelen - s.lowFreqFactor) /
        (s.highFreqFactor - s.lowFreqFactor);
      inv[i] = (1 - smooth) * selected / s.factor + smooth * selected;
    } else {
      inv[i] = selected;
    }
  }
  return inv;
}

function tensor(weights: ReferenceWeights, name: string, size: number): Float64Array {
  const t = weights.get(name);
  if (t === undefined) throw new Error(`reference: missing weight ${name}`);
  if (t.length !== size) throw new Error(`reference: ${name} has ${t.length} elements, expected ${size}`);
  return t;
}

/** a += b, returning a. */
function addInto(a: Float64Array, b: Float64Array): Float64Array {
  for (let i = 0; i < a.length; i++) a[i] += b[i];
  return a;
}

/** y = W x (+ b) with W [out, in] row-major. */
function linear(w: Float64Array, x: Float64Array, out: number, bias?: Float64Array): Float64Array {
  const inDim = x.length;
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let acc = bias === undefined ? 0 : bias[o];
    const row = o * inDim;
    for (let i = 0; i < inDim; i++) acc += w[row + i] * x[i];
    y[o] = acc;
  }
  return y;
}

function rmsNorm(x: Float64Array, w: Float64Array, eps: number): Float64Array {
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += x[i] * x[i];
  const scale = 1 / Math.sqrt(ss / x.length + eps);
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = w[i] * (x[i] * scale);
  return y;
}

/** Rotate-half RoPE applied in place to each head of `v` ([heads * headDim]). */
function applyRope(v: Float64Array, heads: number, headDim: number, invFreq: Float64Array, pos: number) {
  const half = headDim / 2;
  for (let h = 0; h < heads; h++) {
    const base = h * headDim;
    for (let i = 0; i < half; i++) {
      const angle = pos * invFreq[i];
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      const x1 = v[base + i];
      const x2 = v[base + half + i];
      // q * cos + rotate_half(q) * sin with rotate_half(q) = cat(-q2, q1); cos/sin repeat over both halves.
      v[base + i] = x1 * c - x2 * s;
      v[base + half + i] = x2 * c + x1 * s;
    }
  }
}

/** Runs the full model on one sequence of token ids and returns logits and intermediate values. */
export function referenceForward(
  config: LlamaConfig,
  weights: ReferenceWeights,
  ids: readonly number[],
  options: ReferenceOptions = {},
): ReferenceTrace {
  const T = ids.length;
  const d = config.hiddenSize;
  const hd = config.headDim;
  const nh = config.numHeads;
  const nkv = config.numKvHeads;
  const ff = config.intermediateSize;
  const V = config.vocabSize;
  const nRep = nh / nkv;
  const positions = options.positions ?? ids.map((_, t) => t);
  const invFreq = ropeInvFreq(config);
  const eps = config.rmsNormEps;

  const embed = tensor(weights, "model.embed_tokens.weight", V * d);
  let h: Float64Array[] = options.from?.hidden ?? ids.map((id) => embed.slice(id * d, (id + 1) * d));
  const hidden: Float64Array[][] = [h];
  const linearInputs: Record<LinearModule, Float64Array[]>[] = [];
  const attention: Float64Array[][][] = [];

  for (let l = options.from?.layer ?? 0; l < config.numLayers; l++) {
    const p = `model.layers.${l}`;
    const w = (name: string, size: number) => tensor(weights, `${p}.${name}`, size);
    const wq = w("self_attn.q_proj.weight", nh * hd * d);
    const wk = w("self_attn.k_proj.weight", nkv * hd * d);
    const wv = w("self_attn.v_proj.weight", nkv * hd * d);
    const wo = w("self_attn.o_proj.weight", d * nh * hd);
    const bq = config.qkvBias ? w("self_attn.q_proj.bias", nh * hd) : undefined;
    const bk = config.qkvBias ? w("self_attn.k_proj.bias", nkv * hd) : undefined;
    const bv = config.qkvBias ? w("self_attn.v_proj.bias", nkv * hd) : undefined;

    const inputNorm = w("input_layernorm.weight", d);
    const postNorm = w("post_attention_layernorm.weight", d);
    const wg = w("mlp.gate_proj.weight", ff * d);
    const wu = w("mlp.up_proj.weight", ff * d);
    const wd = w("mlp.down_proj.weight", d * ff);

    const xAttn = h.map((row) => rmsNorm(row, inputNorm, eps));
    const q = xAttn.map((x) => linear(wq, x, nh * hd, bq));
    const k = xAttn.map((x) => linear(wk, x, nkv * hd, bk));
    const v = xAttn.map((x) => linear(wv, x, nkv * hd, bv));
    for (let t = 0; t < T; t++) {
      applyRope(q[t], nh, hd, invFreq, positions[t]);
      applyRope(k[t], nkv, hd, invFreq, positions[t]);
    }
    const attn = Array.from({ length: T }, () => new Float64Array(nh * hd));
    const scale = 1 / Math.sqrt(hd);
    const scores = new Float64Array(T);
    const layerProbs: Float64Array[][] = [];
    for (let head = 0; head < nh; head++) {
      const headProbs: Float64Array[] = [];
      layerProbs.push(headProbs);
      // repeat_kv: query head `head` reads key/value head floor(head / nRep).
      const kvHead = Math.floor(head / nRep);
      for (let t = 0; t < T; t++) {
        let max = -Infinity;
        for (let s = 0; s <= t; s++) {
          let dot = 0;
          for (let i = 0; i < hd; i++) dot += q[t][head * hd + i] * k[s][kvHead * hd + i];
          scores[s] = dot * scale;
          if (scores[s] > max) max = scores[s];
        }
        let sum = 0;
        for (let s = 0; s <= t; s++) {
          scores[s] = Math.exp(scores[s] - max);
          sum += scores[s];
        }
        const row = new Float64Array(t + 1);
        for (let s = 0; s <= t; s++) {
          const a = scores[s] / sum;
          row[s] = a;
          for (let i = 0; i < hd; i++) attn[t][head * hd + i] += a * v[s][kvHead * hd + i];
        }
        headProbs.push(row);
      }
    }
    const afterAttn = h.map((row, t) => addInto(linear(wo, attn[t], d), row));

    const xMlp = afterAttn.map((row) => rmsNorm(row, postNorm, eps));
    const act = xMlp.map((x) => {
      const gate = linear(wg, x, ff);
      const up = linear(wu, x, ff);
      for (let i = 0; i < ff; i++) gate[i] = (gate[i] / (1 + Math.exp(-gate[i]))) * up[i];
      return gate;
    });
    h = afterAttn.map((row, t) => addInto(linear(wd, act[t], d), row));
    hidden.push(h);
    attention.push(layerProbs);
    linearInputs.push({
      q_proj: xAttn,
      k_proj: xAttn,
      v_proj: xAttn,
      o_proj: attn,
      gate_proj: xMlp,
      up_proj: xMlp,
      down_proj: act,
    });
  }

  const finalNorm = tensor(weights, "model.norm.weight", d);
  const head = config.tieWordEmbeddings ? embed : tensor(weights, "lm_head.weight", V * d);
  const rows = options.lastOnly ? h.slice(T - 1) : h;
  const logits = rows.map((row) => linear(head, rmsNorm(row, finalNorm, eps), V));
  return { logits, hidden, linearInputs, attention };
}

/** Next-token logits [T][vocab] of one sequence. */
export function referenceLogits(
  config: LlamaConfig,
  weights: ReferenceWeights,
  ids: readonly number[],
): Float64Array[] {
  return referenceForward(config, weights, ids).logits;
}

/** The paper's scalar y: the largest logit over the vocabulary at the last position. */
export function referenceY(config: LlamaConfig, weights: ReferenceWeights, ids: readonly number[]): number {
  const [last] = referenceForward(config, weights, ids, { lastOnly: true }).logits;
  return Math.max(...last);
}

/** Per-token log-probabilities of `targets[t]` under the logits at position t. */
export function referenceLogProbs(logits: Float64Array[], targets: readonly number[]): number[] {
  return logits.map((row, t) => {
    const max = Math.max(...row);
    let sum = 0;
    for (const x of row) sum += Math.exp(x - max);
    return row[targets[t]] - max - Math.log(sum);
  });
}

/**
 * Central finite differences of y w.r.t. every entry of every decoder layer's 7 linear weights, keyed by
 * Hugging Face name; entries have the weight's [out, in] layout. `layers` restricts the set (default all).
 * A perturbation of layer l leaves layers < l unchanged, so each evaluation restarts from layer l's input.
 */
export function finiteDifferenceGradients(
  config: LlamaConfig,
  weights: Map<string, Float64Array>,
  ids: readonly number[],
  options: { step?: number; layers?: number[] } = {},
): Map<string, Float64Array> {
  const step = options.step ?? 1e-5;
  const layers = options.layers ?? Array.from({ length: config.numLayers }, (_, l) => l);
  const { hidden } = referenceForward(config, weights, ids);
  const out = new Map<string, Float64Array>();
  for (const l of layers) {
    const from = { layer: l, hidden: hidden[l] };
    const y = () => Math.max(...referenceForward(config, weights, ids, { lastOnly: true, from }).logits[0]);
    for (const m of LINEAR_MODULES) {
      const block = m === "gate_proj" || m === "up_proj" || m === "down_proj" ? "mlp" : "self_attn";
      const name = `model.layers.${l}.${block}.${m}.weight`;
      const w = tensor(weights, name, weights.get(name)?.length ?? -1);
      const grad = new Float64Array(w.length);
      for (let i = 0; i < w.length; i++) {
        const orig = w[i];
        w[i] = orig + step;
        const plus = y();
        w[i] = orig - step;
        const minus = y();
        w[i] = orig;
        grad[i] = (plus - minus) / (2 * step);
      }
      out.set(name, grad);
    }
  }
  return out;
}
