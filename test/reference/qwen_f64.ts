/**
 * An independent float64 reference of Qwen (v1), `QWenLMHeadModel` of modeling_qwen.py (Qwen/Qwen-7B), in
 * Qwen's own terms: it reads config.json's own keys and the checkpoint's own tensor names (`transformer.h.N.
 * attn.c_attn.weight`, ...) and shares nothing with actpat's config parser, weight layout or graphs, so a test
 * that compares the two checks the mapping as well as the numbers. Plain loops over one sequence; tiny shapes.
 *
 * Also the two length-dependent mechanisms of modeling_qwen.py that actpat does not build (`use_dynamic_ntk`,
 * `use_logn_attn`), so a test can show they change nothing up to `seq_length` tokens.
 */

/** The keys of a Qwen config.json the reference reads (configuration_qwen.py defaults where absent). */
export interface QwenReferenceConfig {
  hiddenSize: number;
  numHeads: number;
  numLayers: number;
  vocabSize: number;
  kvChannels: number;
  /** `intermediate_size // 2`: the width of w1 and w2. */
  ffWidth: number;
  eps: number;
  rotaryBase: number;
  seqLength: number;
  useDynamicNtk: boolean;
  useLognAttn: boolean;
}

/** Reads a Qwen config.json object the way configuration_qwen.py / modeling_qwen.py use it. */
export function qwenReferenceConfig(json: Record<string, unknown>): QwenReferenceConfig {
  const num = (key: string, fallback?: number) => {
    const v = json[key] ?? fallback;
    if (typeof v !== "number") throw new Error(`reference: config key ${key} is missing`);
    return v;
  };
  return {
    hiddenSize: num("hidden_size"),
    numHeads: num("num_attention_heads"),
    numLayers: num("num_hidden_layers"),
    vocabSize: num("vocab_size"),
    kvChannels: num("kv_channels", 128),
    ffWidth: Math.floor(num("intermediate_size") / 2),
    eps: num("layer_norm_epsilon", 1e-6),
    rotaryBase: num("rotary_emb_base", 10000),
    seqLength: num("seq_length"),
    useDynamicNtk: (json.use_dynamic_ntk ?? true) as boolean,
    useLognAttn: (json.use_logn_attn ?? true) as boolean,
  };
}

/** Float64 weights by Qwen tensor name. */
export type QwenWeights = Map<string, Float64Array>;

/** The 5 matrices of a Qwen block that hold the paper's 7 linears (c_attn holds q, k and v). */
export const QWEN_BLOCK_MATRICES = ["attn.c_attn", "attn.c_proj", "mlp.w1", "mlp.w2", "mlp.c_proj"] as const;

function tensor(weights: QwenWeights, name: string, size: number): Float64Array {
  const t = weights.get(name);
  if (t === undefined) throw new Error(`reference: missing weight ${name}`);
  if (t.length !== size) throw new Error(`reference: ${name} has ${t.length} elements, expected ${size}`);
  return t;
}

/** nn.Linear: y = W x (+ b), W [out, in] row-major. */
function linear(w: Float64Array, x: Float64Array, out: number, bias?: Float64Array): Float64Array {
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let acc = bias ? bias[o] : 0;
    for (let i = 0; i < x.length; i++) acc += w[o * x.length + i] * x[i];
    y[o] = acc;
  }
  return y;
}

/** Qwen's RMSNorm: x * rsqrt(mean(x²) + eps) * weight. */
function rmsNorm(x: Float64Array, w: Float64Array, eps: number): Float64Array {
  let ss = 0;
  for (const v of x) ss += v * v;
  const r = 1 / Math.sqrt(ss / x.length + eps);
  return x.map((v, i) => v * r * w[i]);
}

/** QWenModel.get_ntk_alpha. */
function ntkAlpha(trueSeqLen: number, seqLength: number): number {
  const contextValue = Math.log2(trueSeqLen / seqLength) + 1;
  return Math.max(2 ** Math.ceil(contextValue) - 1, 1);
}

/**
 * RotaryEmbedding(kv_channels, base) for a sequence of `kvSeqLen` tokens: with use_dynamic_ntk (and not
 * training) the base becomes base · α^(dim / (dim − 2)), α = get_ntk_alpha(kv_seq_len).
 */
function invFreq(c: QwenReferenceConfig, kvSeqLen: number): Float64Array {
  const dim = c.kvChannels;
  const alpha = c.useDynamicNtk ? ntkAlpha(kvSeqLen, c.seqLength) : 1;
  const base = c.rotaryBase * alpha ** (dim / (dim - 2));
  return Float64Array.from({ length: dim / 2 }, (_, i) => 1 / base ** ((2 * i) / dim));
}

/** apply_rotary_pos_emb with _rotate_half over each head: emb = cat(freqs, freqs); t·cos + rotate_half(t)·sin. */
function rotate(v: Float64Array, heads: number, dim: number, inv: Float64Array, pos: number): void {
  const half = dim / 2;
  for (let h = 0; h < heads; h++) {
    const base = h * dim;
    for (let i = 0; i < half; i++) {
      const c = Math.cos(pos * inv[i]);
      const s = Math.sin(pos * inv[i]);
      const x1 = v[base + i];
      const x2 = v[base + half + i];
      v[base + i] = x1 * c - x2 * s;
      v[base + half + i] = x2 * c + x1 * s;
    }
  }
}

/** Options of {@link qwenForward}. */
export interface QwenForwardOptions {
  /** Logits of the last position only. */
  lastOnly?: boolean;
  /** Start at block `layer` from its input `hidden` ([T][hidden]). */
  from?: { layer: number; hidden: Float64Array[] };
}

/** QWenLMHeadModel.forward on one sequence (no cache, no mask, eval mode): logits and block inputs. */
export function qwenForward(
  c: QwenReferenceConfig,
  weights: QwenWeights,
  ids: readonly number[],
  options: QwenForwardOptions = {},
): { logits: Float64Array[]; hidden: Float64Array[][] } {
  const T = ids.length;
  const d = c.hiddenSize;
  const nh = c.numHeads;
  // QWenAttention: split at hidden_size, heads of hidden_size / num_heads (= kv_channels for a valid config).
  const hd = d / nh;
  const wte = tensor(weights, "transformer.wte.weight", c.vocabSize * d);
  let h = options.from?.hidden ?? ids.map((id) => wte.slice(id * d, (id + 1) * d));
  const hidden = [h];
  const inv = invFreq(c, T);
  for (let l = options.from?.layer ?? 0; l < c.numLayers; l++) {
    const w = (name: string, size: number) => tensor(weights, `transformer.h.${l}.${name}`, size);
    const proj = c.kvChannels * nh;
    const cAttnW = w("attn.c_attn.weight", 3 * proj * d);
    const cAttnB = w("attn.c_attn.bias", 3 * proj);
    const cProj = w("attn.c_proj.weight", proj * d);
    const w1 = w("mlp.w1.weight", c.ffWidth * d);
    const w2 = w("mlp.w2.weight", c.ffWidth * d);
    const mlpProj = w("mlp.c_proj.weight", d * c.ffWidth);
    const x = h.map((row) => rmsNorm(row, w("ln_1.weight", d), c.eps));
    const mixed = x.map((row) => linear(cAttnW, row, 3 * proj, cAttnB));
    const q = mixed.map((m) => m.slice(0, d));
    const k = mixed.map((m) => m.slice(d, 2 * d));
    const v = mixed.map((m) => m.slice(2 * d, 3 * d));
    for (let t = 0; t < T; t++) {
      rotate(q[t], nh, hd, inv, t);
      rotate(k[t], nh, hd, inv, t);
      // logn_tensor[t] = log_{seq_length}(t + 1) beyond seq_length, else 1 (key_size > seq_length only).
      if (c.useLognAttn && T > c.seqLength && t + 1 > c.seqLength) {
        const scale = Math.log(t + 1) / Math.log(c.seqLength);
        for (let i = 0; i < d; i++) q[t][i] *= scale;
      }
    }
    const context = Array.from({ length: T }, () => new Float64Array(d));
    for (let head = 0; head < nh; head++) {
      for (let t = 0; t < T; t++) {
        const scores = new Float64Array(t + 1);
        let max = -Infinity;
        for (let s = 0; s <= t; s++) {
          let dot = 0;
          for (let i = 0; i < hd; i++) dot += q[t][head * hd + i] * k[s][head * hd + i];
          scores[s] = dot / Math.sqrt(hd);
          max = Math.max(max, scores[s]);
        }
        let sum = 0;
        for (let s = 0; s <= t; s++) sum += scores[s] = Math.exp(scores[s] - max);
        for (let s = 0; s <= t; s++) {
          for (let i = 0; i < hd; i++) context[t][head * hd + i] += (scores[s] / sum) * v[s][head * hd + i];
        }
      }
    }
    const mid = h.map((row, t) => linear(cProj, context[t], d).map((a, i) => a + row[i]));
    h = mid.map((row) => {
      const y = rmsNorm(row, w("ln_2.weight", d), c.eps);
      const a1 = linear(w1, y, c.ffWidth);
      const a2 = linear(w2, y, c.ffWidth);
      const inner = a1.map((a, i) => a * (a2[i] / (1 + Math.exp(-a2[i]))));
      return linear(mlpProj, inner, d).map((a, i) => a + row[i]);
    });
    hidden.push(h);
  }
  const lnF = tensor(weights, "transformer.ln_f.weight", d);
  const head = tensor(weights, "lm_head.weight", c.vocabSize * d);
  const rows = options.lastOnly ? h.slice(T - 1) : h;
  return { logits: rows.map((row) => linear(head, rmsNorm(row, lnF, c.eps), c.vocabSize)), hidden };
}

/** The paper's y: the largest logit at the last position. */
export function qwenY(c: QwenReferenceConfig, weights: QwenWeights, ids: readonly number[]): number {
  return Math.max(...qwenForward(c, weights, ids, { lastOnly: true }).logits[0]);
}

/**
 * Central finite differences (step h) of y with respect to every entry of each block's 5 matrices
 * ({@link QWEN_BLOCK_MATRICES}), keyed by Qwen tensor name; each evaluation restarts at the perturbed block.
 */
export function qwenFiniteDifferences(
  c: QwenReferenceConfig,
  weights: QwenWeights,
  ids: readonly number[],
  step = 1e-5,
): Map<string, Float64Array> {
  const { hidden } = qwenForward(c, weights, ids);
  const out = new Map<string, Float64Array>();
  for (let l = 0; l < c.numLayers; l++) {
    const from = { layer: l, hidden: hidden[l] };
    const y = () => Math.max(...qwenForward(c, weights, ids, { lastOnly: true, from }).logits[0]);
    for (const m of QWEN_BLOCK_MATRICES) {
      const name = `transformer.h.${l}.${m}.weight`;
      const w = weights.get(name)!;
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
