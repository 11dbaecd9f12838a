/**
 * Pieces shared by the graph kinds: graph inputs, embedding lookup, the stack of decoder layers, the final
 * norm with the (tied or separate) lm_head, and selecting each sample's last real token.
 */
import {
  cast,
  expand,
  gather,
  gatherElements,
  type Graph,
  reduceSum,
  squeeze,
  sub,
  unsqueeze,
  type Value,
} from "../../onnx/mod.ts";
import type { LlamaConfig } from "../llama_config.ts";
import type { WeightStore } from "../weights.ts";
import { type ComputeDType, weightValue } from "./_weights.ts";
import {
  accumulateDType,
  decoderLayer,
  type LayerContext,
  layerContext,
  type LayerOutputs,
  layerTensorNames,
  layerWeights,
  linearProduct,
  rmsNorm,
} from "./decoder_layer.ts";

/** Token ids and attention mask, both int64 [B, T] (mask 1 = token, 0 = padding; pad on the right). */
export function tokenInputs(g: Graph): { ids: Value; mask: Value } {
  return {
    ids: g.input("input_ids", "int64", ["B", "T"]),
    mask: g.input("attention_mask", "int64", ["B", "T"]),
  };
}

/** The full model up to the last decoder layer's output. */
export interface Trunk {
  ctx: LayerContext;
  layers: LayerOutputs[];
  /** Output of the last decoder layer (before the final norm), [B, T, hidden]. */
  hidden: Value;
}

/** Embeds `ids` and runs every decoder layer. */
export function llamaTrunk(
  g: Graph,
  config: LlamaConfig,
  store: WeightStore,
  inputs: { ids: Value; mask: Value },
  dtype: ComputeDType,
): Trunk {
  const ctx = layerContext(g, config, inputs.mask, dtype);
  let hidden = g.scope(
    "embed_tokens",
    () => gather(weightValue(g, store, "model.embed_tokens.weight", dtype), inputs.ids, 0),
  );
  const layers: LayerOutputs[] = [];
  for (let l = 0; l < config.numLayers; l++) {
    const out = g.scope(
      `layers.${l}`,
      () => decoderLayer(hidden, layerWeights(g, store, config, l, dtype), ctx),
    );
    layers.push(out);
    hidden = out.hidden;
  }
  return { ctx, layers, hidden };
}

/** Final RMSNorm and lm_head: logits [..., vocab] in float32 (float64 for float64 graphs). */
export function lmHead(
  g: Graph,
  config: LlamaConfig,
  store: WeightStore,
  hidden: Value,
  dtype: ComputeDType,
): Value {
  return g.scope("lm_head", () => {
    const normed = rmsNorm(
      hidden,
      weightValue(g, store, "model.norm.weight", dtype),
      config.rmsNormEps,
      dtype,
    );
    const head = weightValue(g, store, headWeightName(config), dtype);
    const logits = linearProduct(normed, head);
    const acc = accumulateDType(dtype);
    return logits.dtype === acc ? logits : cast(logits, acc);
  });
}

/** The lm_head's tensor: the embedding table when tied. */
export function headWeightName(config: LlamaConfig): string {
  return config.tieWordEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight";
}

/** Each sample's last real (non-padding) row of `x` [B, T, n] → [B, n]. */
export function lastTokenRows(x: Value, mask: Value): Value {
  const g = x.graph;
  return g.scope("last_token", () => {
    const last = sub(reduceSum(mask, [1], { keepdims: true }), 1); // [B, 1]
    const idx = expand(unsqueeze(last, [2]), ["B", 1, x.shape[2]]); // [B, 1, n]
    return squeeze(gatherElements(x, idx, 1), [1]);
  });
}

/** Every checkpoint tensor a full-model graph reads, in a fixed order (for cache keys). */
export function modelTensorNames(config: LlamaConfig): string[] {
  const names = ["model.embed_tokens.weight"];
  for (let l = 0; l < config.numLayers; l++) names.push(...layerTensorNames(config, l));
  names.push("model.norm.weight");
  if (!config.tieWordEmbeddings) names.push("lm_head.weight");
  return names;
}
