/**
 * Activation-gradient graph (the paper's metric): y = max over the vocabulary of the logits at each sample's
 * last real token; for each decoder layer's 7 linear weights, v = W ⊙ ∂y/∂W per sample, reduced in-graph to
 *  (a) density: Σ over samples of |v|, per parameter [out, in];
 *  (b) similarity: for the pairs of samples (2i, 2i+1), per matrix Σ|v_a v_b|, Σv_a², Σv_b².
 *
 * ∂y/∂W is never asked of the autodiff directly (that would sum over the batch): for a linear o = x·Wᵀ,
 * ∂y/∂W = Σ_t δ_tᵀ x_t with δ = ∂y/∂o, so the graph differentiates Σ_b y_b with respect to each linear's
 * output o [B, T, out] (samples are independent, so row b of that gradient is sample b's δ) and forms the
 * per-sample products itself. Right padding is harmless: the causal mask makes y independent of padding
 * positions, so their δ is exactly zero.
 */
import { gradients } from "../../onnx/autodiff/mod.ts";
import {
  abs,
  cast,
  concat,
  Graph,
  matmul,
  mul,
  reduceMax,
  reduceSum,
  reshape,
  slice,
  transpose,
  unsqueeze,
  type Value,
} from "../../onnx/mod.ts";
import { ActpatError } from "../../util/errors.ts";
import {
  LINEAR_MODULES,
  type LinearModule,
  linearShape,
  linearWeightName,
  type LlamaConfig,
} from "../llama_config.ts";
import type { WeightStore } from "../weights.ts";
import { type ComputeDType, weightKey, weightValue } from "./_weights.ts";
import { lastTokenRows, llamaTrunk, lmHead, modelTensorNames, tokenInputs } from "./_stack.ts";
import { accumulateDType, LINEAR_INPUT_OF } from "./decoder_layer.ts";

/** Options of {@link buildActivationGradientGraph}. */
export interface ActivationGradientOptions {
  /** Compute dtype of the forward and backward pass (default float32); reductions run in float32/float64. */
  dtype?: ComputeDType;
  /** Decoder layers whose linears are reduced (default all); the others still run forward. */
  layers?: readonly number[];
  /** Output `density.<layer>.<module>` [out, in] (default true). */
  density?: boolean;
  /**
   * Output `similarity.<layer>.<module>` [B/2, 3] = (Σ|v_a v_b|, Σv_a², Σv_b²) over pairs (2i, 2i+1); the
   * batch size must then be even (default false).
   */
  similarity?: boolean;
}

/** Output names of one linear's reductions. */
export function densityOutput(layer: number, module: LinearModule): string {
  return `density.${layer}.${module}`;
}

/** See {@link densityOutput}. */
export function similarityOutput(layer: number, module: LinearModule): string {
  return `similarity.${layer}.${module}`;
}

function resolved(config: LlamaConfig, opts: ActivationGradientOptions) {
  const layers = [...(opts.layers ?? Array.from({ length: config.numLayers }, (_, l) => l))].sort((a, b) =>
    a - b
  );
  for (const l of layers) {
    if (!Number.isInteger(l) || l < 0 || l >= config.numLayers) {
      throw new ActpatError(
        "build activation gradient graph",
        `layer ${l} is outside [0, ${config.numLayers})`,
      );
    }
  }
  if (new Set(layers).size !== layers.length || layers.length === 0) {
    throw new ActpatError(
      "build activation gradient graph",
      `layers [${layers.join(", ")}] must be distinct and non-empty`,
    );
  }
  const r = {
    dtype: opts.dtype ?? "float32",
    layers,
    density: opts.density ?? true,
    similarity: opts.similarity ?? false,
  };
  if (!r.density && !r.similarity) {
    throw new ActpatError("build activation gradient graph", "no output requested (density or similarity)");
  }
  return r;
}

/** The graph cache key of an activation-gradient graph. */
export function activationGradientGraphKey(
  config: LlamaConfig,
  store: WeightStore,
  opts: ActivationGradientOptions = {},
): unknown {
  return {
    kind: "llama/activation_gradient",
    version: 2,
    config,
    ...resolved(config, opts),
    weights: weightKey(store, modelTensorNames(config)),
  };
}

/**
 * Builds the graph: inputs `input_ids`, `attention_mask` [B, T] (right padding); outputs `y` [B] and the
 * requested reductions for each linear of each selected layer.
 */
export function buildActivationGradientGraph(
  config: LlamaConfig,
  store: WeightStore,
  opts: ActivationGradientOptions = {},
): Graph {
  const r = resolved(config, opts);
  const acc = accumulateDType(r.dtype);
  const g = new Graph("llama_activation_gradient");
  const inputs = tokenInputs(g);
  const trunk = llamaTrunk(g, config, store, inputs, r.dtype);
  const y = g.scope("y", () => {
    // The rows are picked in the accumulation dtype: GatherElements' gradient is a ScatterElements-add, which
    // onnxruntime's CPU provider has no float16 kernel for.
    const hidden = trunk.hidden.dtype === acc ? trunk.hidden : cast(trunk.hidden, acc);
    const last = lastTokenRows(hidden, inputs.mask);
    const logits = lmHead(g, config, store, last.dtype === r.dtype ? last : cast(last, r.dtype), r.dtype); // [B, V]
    return reduceMax(logits, [1], { keepdims: false });
  });
  g.output(y, "y");

  const wrt = r.layers.flatMap((l) => LINEAR_MODULES.map((m) => trunk.layers[l].products[m]));
  const deltas = gradients(g, y, wrt, { scope: "backward" });
  let k = 0;
  for (const l of r.layers) {
    for (const m of LINEAR_MODULES) {
      const delta = deltas[k++]; // [B, T, out]
      g.scope(`activation/layers.${l}/${m}`, () => {
        const x = trunk.layers[l].inputs[LINEAR_INPUT_OF[m]]; // [B, T, in]
        const toAcc = (v: Value) => v.dtype === acc ? v : cast(v, acc);
        // ∂y_b/∂W = δ_bᵀ x_b, per sample: [B, out, T] × [B, T, in].
        const grad = matmul(transpose(toAcc(delta), [0, 2, 1]), toAcc(x));
        const v = mul(grad, weightValue(g, store, linearWeightName(l, m), acc)); // [B, out, in]
        if (r.density) g.output(reduceSum(abs(v), [0], { keepdims: false }), densityOutput(l, m));
        if (r.similarity) g.output(pairSums(v, linearShape(config, m)), similarityOutput(l, m));
      });
    }
  }
  return g;
}

/** For v [B, out, in] with pairs (2i, 2i+1): [B/2, 3] of (Σ|v_a v_b|, Σv_a², Σv_b²). */
function pairSums(v: Value, [out, inDim]: [number, number]): Value {
  const g = v.graph;
  const pairs = reshape(v, g.constant([-1, 2, out, inDim], { dtype: "int64" }), {
    outShape: ["P", 2, out, inDim],
  });
  const a = slice(pairs, { starts: [0], ends: [1], axes: [1] }); // [P, 1, out, in]
  const b = slice(pairs, { starts: [1], ends: [2], axes: [1] });
  const total = (x: Value) => reduceSum(x, [1, 2, 3], { keepdims: false }); // [P]
  const cols = [total(abs(mul(a, b))), total(mul(a, a)), total(mul(b, b))].map((c) => unsqueeze(c, [1]));
  return concat(cols, 1);
}
