/**
 * The one Llama-family decoder layer every graph kind is built from (transformers' `LlamaDecoderLayer`):
 * RMSNorm → q/k/v (optional bias) → RoPE (rotate-half, llama3 scaling) → causal GQA attention → o_proj →
 * residual → RMSNorm → SwiGLU MLP → residual. Composed from standard ONNX primitives only (SiLU = x·σ(x),
 * RMSNorm from ReduceMean/Sqrt/Reciprocal) so the autodiff needs no rule of its own for them.
 */
import {
  add,
  and,
  arange,
  cast,
  concat,
  cumSum,
  gemm,
  type Graph,
  greater,
  matmul,
  mul,
  neg,
  not,
  reciprocal,
  reduceMean,
  reshape,
  shape,
  sigmoid,
  slice,
  softmax,
  split,
  sqrt,
  sub,
  transpose,
  unsqueeze,
  type Value,
  where,
} from "../../onnx/mod.ts";
import { LINEAR_MODULES, type LinearModule, linearWeightName, type LlamaConfig } from "../llama_config.ts";
import type { WeightStore } from "../weights.ts";
import { type ComputeDType, weightValue } from "./_weights.ts";
import { ropeInvFreq } from "./rope.ts";

/** Per-graph values every layer shares: RoPE tables and the attention mask bias. */
export interface LayerContext {
  config: LlamaConfig;
  dtype: ComputeDType;
  /** cos and sin of position · inverse frequency, [B, 1, 1, T, head_dim] in the compute dtype. */
  cos: Value;
  sin: Value;
  /** 0 where query t may attend key s (s ≤ t and s not padding), a large negative number elsewhere. */
  attentionBias: Value;
}

/** The weights of one decoder layer, already in the compute dtype; linear weights are [out, in]. */
export interface LayerWeights {
  inputNorm: Value;
  postNorm: Value;
  linear: Record<LinearModule, Value>;
  bias: Partial<Record<"q_proj" | "k_proj" | "v_proj", Value>>;
}

/**
 * The four distinct inputs of a layer's seven linears: q/k/v read the attention-norm output, gate/up the
 * MLP-norm output.
 */
export type LinearInput = "attn_in" | "o_in" | "mlp_in" | "down_in";

/** Which distinct input each linear reads. */
export const LINEAR_INPUT_OF: Record<LinearModule, LinearInput> = {
  q_proj: "attn_in",
  k_proj: "attn_in",
  v_proj: "attn_in",
  o_proj: "o_in",
  gate_proj: "mlp_in",
  up_proj: "mlp_in",
  down_proj: "down_in",
};

/** A layer's output and the intermediate values other graph kinds reduce or differentiate. */
export interface LayerOutputs {
  hidden: Value;
  /** Inputs of the linears, [B, T, in]. */
  inputs: Record<LinearInput, Value>;
  /** x·Wᵀ of each linear (before any bias), [B, T, out]: the values δ is taken with respect to. */
  products: Record<LinearModule, Value>;
  /**
   * Attention probabilities [B, kv_head, group, T(query), T(key)] in the compute dtype; query head
   * h = kv·group + r. Graphs that do not output them leave the value unused.
   */
  probs: Value;
}

/** Large enough that exp underflows to exactly 0, small enough to stay finite in float32 and float64. */
const MASKED = -1e9;

/** The dtype norms, softmax and RoPE angles run in: float16 graphs do these in float32, as transformers does. */
export function accumulateDType(dtype: ComputeDType): "float32" | "float64" {
  return dtype === "float64" ? "float64" : "float32";
}

function toDType(x: Value, dtype: string): Value {
  return x.dtype === dtype ? x : cast(x, dtype as ComputeDType);
}

/** Unary trigonometric op (standard ONNX; no gradient rule needed: positions are never differentiated). */
function trig(op: "Cos" | "Sin", x: Value): Value {
  return x.graph.node(op, [x], {}, { outputs: [{ dtype: x.dtype, shape: x.shape }] })[0];
}

/**
 * Builds the per-graph context from the attention mask [B, T] (int64, 1 = token, 0 = padding). Positions are
 * the running count of real tokens minus one, so right padding leaves every sequence at positions 0, 1, ….
 */
export function layerContext(g: Graph, config: LlamaConfig, mask: Value, dtype: ComputeDType): LayerContext {
  return g.scope("context", () => {
    const acc = accumulateDType(dtype);
    const positions = sub(cast(g.scope("positions", () => cumSum(mask, 1)), acc), 1); // [B, T]
    const inv = g.constant(Array.from(ropeInvFreq(config)), { dtype: acc }); // [hd/2]
    const freqs = mul(unsqueeze(positions, [2]), inv); // [B, T, hd/2]
    const angles = unsqueeze(concat([freqs, freqs], 2), [1, 2]); // [B, 1, 1, T, hd]
    const cos = toDType(trig("Cos", angles), dtype);
    const sin = toDType(trig("Sin", angles), dtype);

    const T = mask.shape[1];
    const idx = arange(g, T, "int64");
    const causal = not(greater(unsqueeze(idx, [0]), unsqueeze(idx, [1]))); // [T(query), T(key)]: key ≤ query
    const isToken = cast(mask, "bool"); // [B, T(key)]
    const allowed = and(unsqueeze(causal, [0]), unsqueeze(isToken, [1])); // [B, T, T]
    const attentionBias = unsqueeze(where(allowed, g.constant(0, { dtype: acc }), MASKED), [1, 2]); // [B,1,1,T,T]
    return { config, dtype, cos, sin, attentionBias };
  });
}

/** Declares the weights of decoder layer `layer`. */
export function layerWeights(
  g: Graph,
  store: WeightStore,
  config: LlamaConfig,
  layer: number,
  dtype: ComputeDType,
): LayerWeights {
  const p = `model.layers.${layer}`;
  const w = (name: string) => weightValue(g, store, name, dtype);
  const linear = Object.fromEntries(LINEAR_MODULES.map((m) => [m, w(linearWeightName(layer, m))])) as Record<
    LinearModule,
    Value
  >;
  const bias: LayerWeights["bias"] = {};
  if (config.qkvBias) {
    for (const m of ["q_proj", "k_proj", "v_proj"] as const) bias[m] = w(`${p}.self_attn.${m}.bias`);
  }
  return {
    inputNorm: w(`${p}.input_layernorm.weight`),
    postNorm: w(`${p}.post_attention_layernorm.weight`),
    linear,
    bias,
  };
}

/** Names of the checkpoint tensors layer `layer` reads. */
export function layerTensorNames(config: LlamaConfig, layer: number): string[] {
  const p = `model.layers.${layer}`;
  const names = [`${p}.input_layernorm.weight`, `${p}.post_attention_layernorm.weight`];
  for (const m of LINEAR_MODULES) names.push(linearWeightName(layer, m));
  if (config.qkvBias) {
    for (const m of ["q_proj", "k_proj", "v_proj"]) {
      names.push(`${p}.self_attn.${m}.bias`);
    }
  }
  return names;
}

/** RMSNorm: x / sqrt(mean(x²) + eps) · w, the statistics in float32 or float64 whatever the compute dtype. */
export function rmsNorm(x: Value, weight: Value, eps: number, dtype: ComputeDType): Value {
  const acc = accumulateDType(dtype);
  const xa = toDType(x, acc);
  const inv = reciprocal(sqrt(add(reduceMean(mul(xa, xa), [-1]), eps)));
  return mul(toDType(mul(xa, inv), dtype), weight);
}

/**
 * x · Wᵀ for W [out, in] and x [..., in], as one Gemm(x₂, W, transB) on x flattened to rows. Written as
 * MatMul(x, Transpose(W)), onnxruntime constant-folds Transpose(W) into a second resident copy of every
 * weight at session creation (and the backward's Transpose(Transpose(W)) into a third); with transB the
 * forward and the backward (dx = dy·W, also a Gemm) read the checkpoint's own tensor.
 */
export function linearProduct(x: Value, w: Value): Value {
  if (x.rank === 2) return gemm(x, w, { transB: true });
  const lead = x.shape.slice(0, -1);
  const rows = gemm(reshape(x, [-1, x.shape[x.rank - 1]]), w, { transB: true }); // [N, out]
  const dims = concat([
    slice(shape(x), { starts: [0], ends: [x.rank - 1], axes: [0] }),
    x.graph.constant([w.shape[0] as number], { dtype: "int64" }),
  ], 0);
  return reshape(rows, dims, { outShape: [...lead, w.shape[0]] });
}

/** rotate_half(x) = cat(−x₂, x₁) over the last axis. */
function rotateHalf(x: Value, headDim: number): Value {
  const [x1, x2] = split(x, [headDim / 2, headDim / 2], -1);
  return concat([neg(x2), x1], -1);
}

function rope(x: Value, ctx: LayerContext): Value {
  return add(mul(x, ctx.cos), mul(rotateHalf(x, ctx.config.headDim), ctx.sin));
}

/** One decoder layer on hidden states [B, T, hidden]. */
export function decoderLayer(x: Value, weights: LayerWeights, ctx: LayerContext): LayerOutputs {
  const g = x.graph;
  const c = ctx.config;
  const { numHeads: nh, numKvHeads: nkv, headDim: hd } = c;
  const rep = nh / nkv;
  const acc = accumulateDType(ctx.dtype);
  const products = {} as Record<LinearModule, Value>;
  const lin = (m: LinearModule, input: Value) =>
    g.scope(m, () => {
      products[m] = linearProduct(input, weights.linear[m]);
      const b = weights.bias[m as "q_proj"];
      return b ? add(products[m], b) : products[m];
    });

  const attnIn = g.scope("input_layernorm", () => rmsNorm(x, weights.inputNorm, c.rmsNormEps, ctx.dtype));
  const { oIn, afterAttn, probs } = g.scope("self_attn", () => {
    // Heads as [B, kv_head, group, T, hd]: query head h = kv·rep + r reads kv head ⌊h / rep⌋ (repeat_kv),
    // and keys/values broadcast over the group axis instead of being copied.
    const q = transpose(reshape(lin("q_proj", attnIn), ["B", "T", nkv, rep, hd]), [0, 2, 3, 1, 4]);
    const k = transpose(reshape(lin("k_proj", attnIn), ["B", "T", nkv, 1, hd]), [0, 2, 3, 1, 4]);
    const v = transpose(reshape(lin("v_proj", attnIn), ["B", "T", nkv, 1, hd]), [0, 2, 3, 1, 4]);
    const qr = g.scope("rope_q", () => rope(q, ctx));
    const kr = g.scope("rope_k", () => rope(k, ctx));
    const probs = g.scope("attention", () => {
      const scores = mul(matmul(qr, transpose(kr, [0, 1, 2, 4, 3])), 1 / Math.sqrt(hd)); // [B,kv,rep,T,T]
      return toDType(softmax(add(toDType(scores, acc), ctx.attentionBias), -1), ctx.dtype);
    });
    const context = matmul(probs, v); // [B, kv, rep, T, hd]
    const oIn = reshape(transpose(context, [0, 3, 1, 2, 4]), ["B", "T", nh * hd]);
    return { oIn, afterAttn: add(x, lin("o_proj", oIn)), probs };
  });

  const mlpIn = g.scope(
    "post_attention_layernorm",
    () => rmsNorm(afterAttn, weights.postNorm, c.rmsNormEps, ctx.dtype),
  );
  const { downIn, hidden } = g.scope("mlp", () => {
    const gate = lin("gate_proj", mlpIn);
    const up = lin("up_proj", mlpIn);
    const downIn = g.scope("swiglu", () => mul(mul(gate, sigmoid(gate)), up));
    return { downIn, hidden: add(afterAttn, lin("down_proj", downIn)) };
  });
  return {
    hidden,
    inputs: { attn_in: attnIn, o_in: oIn, mlp_in: mlpIn, down_in: downIn },
    products,
    probs,
  };
}
