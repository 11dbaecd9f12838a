/**
 * Activation-gradient graph (the paper's metric): y = max over the vocabulary of the logits at each sample's
 * last real token; for each decoder layer's 7 linear weights, v = W ⊙ ∂y/∂W per sample, reduced in-graph to
 *  (a) density: Σ over samples of |v|, per parameter [out, in];
 *  (b) similarity: for the pairs of samples (2i, 2i+1), per matrix Σ|v_a v_b|, Σv_a², Σv_b².
 *
 * ∂y/∂W is never asked of the autodiff directly (that would sum over the batch): for a linear o = x·Wᵀ,
 * ∂y/∂W = Σ_t δ_tᵀ x_t with δ = ∂y/∂o, so the graph differentiates Σ_b y_b with respect to each linear's
 * output o [B, T, out] (samples are independent, so row b of that gradient is sample b's δ) and forms the
 * per-sample products itself, one sample (or pair) after another in an unrolled chain, so memory holds one
 * [out, in] product per matrix at a time instead of [B, out, in]. The chain is unrolled for a fixed batch
 * size (one graph per size) rather than an ONNX Scan: onnxruntime's WebGPU provider has no Scan kernel (it
 * would run the products on the CPU), and on the CPU the unrolled chain is 1.3× faster than the Scan at equal
 * memory (bench/RESULTS.md). Right padding is harmless: the causal mask makes y independent of padding
 * positions, so their δ is exactly zero.
 */
import { gradients } from "../../onnx/autodiff/mod.ts";
import {
  abs,
  add,
  cast,
  concat,
  gather,
  gemm,
  Graph,
  mul,
  reduceMax,
  reduceSum,
  reduceSumSquare,
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
  /**
   * Density outputs continue a running sum: inputs `density_in.<layer>.<module>` (the sum so far) are added to
   * this batch's, so a run's outputs feed the next run and the sum can stay in device memory (default false).
   */
  accumulate?: boolean;
  /** Number of samples the graph takes (its batch dimension is fixed: the per-sample chain is unrolled). */
  batch: number;
}

/** Output names of one linear's reductions. */
export function densityOutput(layer: number, module: LinearModule): string {
  return `density.${layer}.${module}`;
}

/** Input names of the running sums of {@link ActivationGradientOptions.accumulate}. */
export function densityInput(layer: number, module: LinearModule): string {
  return `density_in.${layer}.${module}`;
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
    batch: opts.batch,
    accumulate: opts.accumulate ?? false,
  };
  if (!Number.isInteger(r.batch) || r.batch < 1) {
    throw new ActpatError(
      "build activation gradient graph",
      `batch size ${r.batch} is not a positive integer`,
    );
  }
  if (r.similarity && r.batch % 2 !== 0) {
    throw new ActpatError(
      "build activation gradient graph",
      `the batch has ${r.batch} samples; similarity pairs need an even number`,
    );
  }
  if (r.accumulate && !r.density) {
    throw new ActpatError("build activation gradient graph", "accumulate needs the density output");
  }
  if (!r.density && !r.similarity) {
    throw new ActpatError("build activation gradient graph", "no output requested (density or similarity)");
  }
  return r;
}

/** The graph cache key of an activation-gradient graph. */
export function activationGradientGraphKey(
  config: LlamaConfig,
  store: WeightStore,
  opts: ActivationGradientOptions,
): unknown {
  return {
    kind: "llama/activation_gradient",
    // 3: per-sample products are reduced inside a Scan over the batch (no [B, out, in] tensors).
    // 4: linears are Gemm(x, W, transB) (no Transpose(W) for onnxruntime to fold into a weight copy).
    // 5: the per-sample chain is unrolled for a fixed batch size instead of scanned; optional running sums.
    version: 5,
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
  opts: ActivationGradientOptions,
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
        const toAcc = (v: Value) => v.dtype === acc ? v : cast(v, acc);
        const x = toAcc(trunk.layers[l].inputs[LINEAR_INPUT_OF[m]]); // [B, T, in]
        const w = weightValue(g, store, linearWeightName(l, m), acc); // [out, in]
        const outs = reduceLinear(toAcc(delta), x, w, r);
        if (outs.density) {
          const [out, inDim] = linearShape(config, m);
          const total = r.accumulate
            ? add(g.input(densityInput(l, m), acc, [out, inDim]), outs.density)
            : outs.density;
          g.output(total, densityOutput(l, m));
        }
        if (outs.similarity) g.output(outs.similarity, similarityOutput(l, m));
      });
    }
  }
  return g;
}

/**
 * One linear's reductions, a sample (or a pair of samples) after another: each step forms ∂y_b/∂W = δ_bᵀ x_b
 * [out, in] (one Gemm) and folds it into a running sum, so memory holds the sum and one step's products,
 * never [B, out, in]. Density uses Σ_b |W ⊙ G_b| = |W ⊙ Σ_b |G_b|| (the sum is non-negative), which multiplies
 * by W once instead of once per sample.
 */
function reduceLinear(
  delta: Value,
  x: Value,
  w: Value,
  r: { density: boolean; similarity: boolean; batch: number },
): { density?: Value; similarity?: Value } {
  const { batch } = r;
  const g = delta.graph;
  const pick = (v: Value, b: number) => gather(v, g.constant(b, { dtype: "int64" }), 0); // [T, ·]
  const grad = (b: number) => gemm(pick(delta, b), pick(x, b), { transA: true }); // [out, in]
  let sum: Value | undefined;
  const fold = (gb: Value) => {
    sum = sum === undefined ? abs(gb) : add(sum, abs(gb));
  };
  const sims: Value[] = [];
  if (!r.similarity) {
    for (let b = 0; b < batch; b++) fold(grad(b));
  } else {
    const total = (v: Value) => reduceSum(v, [0, 1], { keepdims: false });
    const square = (v: Value) => reduceSumSquare(v, [0, 1], { keepdims: false });
    for (let p = 0; p < batch / 2; p++) {
      const ga = grad(2 * p), gb = grad(2 * p + 1);
      const va = mul(ga, w), vb = mul(gb, w);
      sims.push(concat([total(abs(mul(va, vb))), square(va), square(vb)].map((c) => unsqueeze(c, [0])), 0));
      if (r.density) {
        fold(ga);
        fold(gb);
      }
    }
  }
  return {
    density: r.density ? abs(mul(sum!, w)) : undefined,
    similarity: r.similarity ? concat(sims.map((c) => unsqueeze(c, [0])), 0) : undefined,
  };
}
