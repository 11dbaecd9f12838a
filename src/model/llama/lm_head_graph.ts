/**
 * LM head graph: the last decoder layer's output `hidden` [B, T, hidden] and target ids `targets` [B, T] →
 * `log_probs` [B, T] = log softmax(lm_head(final RMSNorm(hidden)))[target]. With the embedding and decoder
 * block graphs it completes the causal LM one layer at a time, so an experiment can edit the residual stream
 * between blocks (massive activations: zero or mean them, then score the text). Built from the same pieces
 * as the causal LM graph (`lmHead` in `_stack.ts`, `gatherLogProbs`), so the two agree.
 */
import { cast, Graph } from "../../onnx/mod.ts";
import type { LlamaConfig } from "../llama_config.ts";
import type { WeightStore } from "../weights.ts";
import { type ComputeDType, weightKey } from "./_weights.ts";
import { headWeightName, lmHead } from "./_stack.ts";
import { gatherLogProbs } from "./causal_lm_graph.ts";
import { accumulateDType } from "./decoder_layer.ts";

/** The checkpoint tensors the LM head graph reads. */
export function lmHeadTensorNames(config: LlamaConfig): string[] {
  return ["model.norm.weight", headWeightName(config)];
}

/** The graph cache key of an LM head graph. */
export function lmHeadGraphKey(
  config: LlamaConfig,
  store: WeightStore,
  dtype: ComputeDType = "float32",
): unknown {
  return {
    kind: "llama/lm_head",
    // 2: linears are Gemm(x, W, transB) (no Transpose(W) for onnxruntime to fold into a weight copy).
    version: 2,
    config,
    dtype,
    weights: weightKey(store, lmHeadTensorNames(config)),
  };
}

/**
 * Builds the LM head graph: inputs `hidden` [B, T, hidden] (float32, float64 for float64 graphs, as the
 * decoder block graphs return it) and `targets` [B, T] int64; output `log_probs` [B, T].
 */
export function buildLmHeadGraph(
  config: LlamaConfig,
  store: WeightStore,
  dtype: ComputeDType = "float32",
): Graph {
  const acc = accumulateDType(dtype);
  const g = new Graph("llama_lm_head");
  const hiddenIn = g.input("hidden", acc, ["B", "T", config.hiddenSize]);
  const targets = g.input("targets", "int64", ["B", "T"]);
  const x = hiddenIn.dtype === dtype ? hiddenIn : cast(hiddenIn, dtype);
  const logits = lmHead(g, config, store, x, dtype);
  g.output(g.scope("log_probs", () => gatherLogProbs(logits, targets)), "log_probs");
  return g;
}
