/**
 * Decoder block graph: one layer on hidden states [B, T, hidden] → hidden states out (the block output, also
 * what massive-activation analysis reads) and, for Wanda, per-linear input statistics Σ over real tokens of
 * x_j² per input column j. The seven linears read four distinct inputs (q/k/v the attention-norm output,
 * gate/up the MLP-norm output), so four statistics cover them: see {@link LINEAR_INPUT_OF}.
 * Also the embedding graph that produces layer 0's input.
 */
import { cast, gather, Graph, mul, reduceSum, reshape, unsqueeze, type Value } from "../../onnx/mod.ts";
import { ActpatError } from "../../util/errors.ts";
import type { LlamaConfig } from "../llama_config.ts";
import type { WeightStore } from "../weights.ts";
import { type ComputeDType, weightKey, weightValue } from "./_weights.ts";
import {
  accumulateDType,
  decoderLayer,
  layerContext,
  layerTensorNames,
  layerWeights,
  type LinearInput,
} from "./decoder_layer.ts";

export { LINEAR_INPUT_OF } from "./decoder_layer.ts";

/** Output name of the Wanda statistic of each distinct linear input. */
export const SUMSQ_OUTPUT: Record<LinearInput, string> = {
  attn_in: "sumsq_attn_in",
  o_in: "sumsq_o_in",
  mlp_in: "sumsq_mlp_in",
  down_in: "sumsq_down_in",
};

/** Options of {@link buildDecoderBlockGraph}. */
export interface DecoderBlockOptions {
  /** Compute dtype (default float32). Hidden states in and out are float32 (float64 for float64 graphs). */
  dtype?: ComputeDType;
  /** `hidden_out` [B, T, hidden] (default true). */
  hidden?: boolean;
  /** The four `sumsq_*` outputs [in] (default true). */
  statistics?: boolean;
  /** {@link ATTENTION_KEY_MASS_OUTPUT} [B, heads, T] (default false). */
  attention?: boolean;
}

/**
 * Output name of the attention each key receives: Σ over the real query positions t of the attention
 * probability p_h(t, s), per sequence, query head h and key position s ([B, heads, T(key)], accumulation
 * dtype). Divided by the number of real queries it is the mean attention a key gets; summed over a set of
 * keys, the attention mass that set receives. The full [B, heads, T, T] probabilities never leave the graph.
 */
export const ATTENTION_KEY_MASS_OUTPUT = "attention_key_mass";

function resolved(opts: DecoderBlockOptions) {
  return {
    dtype: opts.dtype ?? "float32",
    hidden: opts.hidden ?? true,
    statistics: opts.statistics ?? true,
    attention: opts.attention ?? false,
  };
}

function checkLayer(config: LlamaConfig, layer: number): void {
  if (!Number.isInteger(layer) || layer < 0 || layer >= config.numLayers) {
    throw new ActpatError("build decoder block graph", `layer ${layer} is outside [0, ${config.numLayers})`);
  }
}

/** The graph cache key of a decoder block graph. */
export function decoderBlockGraphKey(
  config: LlamaConfig,
  store: WeightStore,
  layer: number,
  opts: DecoderBlockOptions = {},
): unknown {
  checkLayer(config, layer);
  const { attention, ...rest } = resolved(opts);
  return {
    kind: "llama/decoder_block",
    // 2: linears are Gemm(x, W, transB) (no Transpose(W) for onnxruntime to fold into a weight copy).
    version: 2,
    config,
    layer,
    ...rest,
    // Only when asked, so the keys of graphs without it are those cached before the output existed.
    ...(attention ? { attention } : {}),
    weights: weightKey(store, layerTensorNames(config, layer)),
  };
}

/** Σ over batch and real tokens of x², per last-axis column, in the accumulation dtype. */
function maskedSumSquares(x: Value, mask: Value, acc: "float32" | "float64"): Value {
  const xa = x.dtype === acc ? x : cast(x, acc);
  const m = unsqueeze(cast(mask, acc), [2]);
  return reduceSum(mul(mul(xa, xa), m), [0, 1], { keepdims: false });
}

/** probs [B, kv, group, T(query), T(key)] → Σ over real queries, [B, kv·group, T(key)] in `acc`. */
function attentionKeyMass(probs: Value, mask: Value, config: LlamaConfig, acc: "float32" | "float64"): Value {
  const p = probs.dtype === acc ? probs : cast(probs, acc);
  const queries = unsqueeze(cast(mask, acc), [1, 2, 4]); // [B, 1, 1, T, 1]
  const summed = reduceSum(mul(p, queries), [3], { keepdims: false }); // [B, kv, group, T]
  return reshape(summed, ["B", config.numHeads, "T"]);
}

/**
 * Builds decoder layer `layer` as a graph with inputs `hidden` [B, T, hidden] and `attention_mask` [B, T]
 * (right padding; positions restart at 0 per sequence) and outputs `hidden_out`, `sumsq_*` and/or
 * {@link ATTENTION_KEY_MASS_OUTPUT}.
 */
export function buildDecoderBlockGraph(
  config: LlamaConfig,
  store: WeightStore,
  layer: number,
  opts: DecoderBlockOptions = {},
): Graph {
  const r = resolved(opts);
  checkLayer(config, layer);
  if (!r.hidden && !r.statistics && !r.attention) {
    throw new ActpatError(
      "build decoder block graph",
      "no output requested (hidden, statistics or attention)",
    );
  }
  const acc = accumulateDType(r.dtype);
  const g = new Graph(`llama_decoder_block_${layer}`);
  const hiddenIn = g.input("hidden", acc, ["B", "T", config.hiddenSize]);
  const mask = g.input("attention_mask", "int64", ["B", "T"]);
  const ctx = layerContext(g, config, mask, r.dtype);
  const x = hiddenIn.dtype === r.dtype ? hiddenIn : cast(hiddenIn, r.dtype);
  const out = g.scope(
    `layers.${layer}`,
    () => decoderLayer(x, layerWeights(g, store, config, layer, r.dtype), ctx),
  );
  if (r.hidden) g.output(out.hidden.dtype === acc ? out.hidden : cast(out.hidden, acc), "hidden_out");
  if (r.attention) {
    g.scope("attention_key_mass", () => {
      g.output(attentionKeyMass(out.probs, mask, config, acc), ATTENTION_KEY_MASS_OUTPUT);
    });
  }
  if (r.statistics) {
    g.scope("wanda", () => {
      for (const [input, name] of Object.entries(SUMSQ_OUTPUT) as [LinearInput, string][]) {
        g.output(maskedSumSquares(out.inputs[input], mask, acc), name);
      }
    });
  }
  return g;
}

/** The graph cache key of an embedding graph. */
export function embeddingGraphKey(
  config: LlamaConfig,
  store: WeightStore,
  dtype: ComputeDType = "float32",
): unknown {
  return {
    kind: "llama/embedding",
    // 2: linears are Gemm(x, W, transB) (no Transpose(W) for onnxruntime to fold into a weight copy).
    version: 2,
    config,
    dtype,
    weights: weightKey(store, ["model.embed_tokens.weight"]),
  };
}

/** Token ids `input_ids` [B, T] → `hidden` [B, T, hidden] (layer 0's input, float32 or float64). */
export function buildEmbeddingGraph(
  config: LlamaConfig,
  store: WeightStore,
  dtype: ComputeDType = "float32",
): Graph {
  const shape = store.get("model.embed_tokens.weight").shape;
  if (shape.length !== 2 || shape[0] !== config.vocabSize || shape[1] !== config.hiddenSize) {
    throw new ActpatError(
      "build embedding graph",
      `model.embed_tokens.weight is [${
        shape.join(", ")
      }], the config says [${config.vocabSize}, ${config.hiddenSize}]`,
    );
  }
  const g = new Graph("llama_embedding");
  const ids = g.input("input_ids", "int64", ["B", "T"]);
  const acc = accumulateDType(dtype);
  const h = g.scope(
    "embed_tokens",
    () => gather(weightValue(g, store, "model.embed_tokens.weight", dtype), ids, 0),
  );
  g.output(h.dtype === acc ? h : cast(h, acc), "hidden");
  return g;
}
