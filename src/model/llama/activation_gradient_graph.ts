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
 *
 * On CUDA two variants serve speed: `products: "batched"` forms the batch's products as one batched MatMul
 * [B, out, in] per linear and reduces it over the batch (cuBLAS at full rate; memory for B products of one
 * linear at a time), and `loop: true` runs N batches ([N, B, T] ids) inside one ONNX Loop whose state is the
 * running sums, so the sums stay in device memory for the whole run (onnxruntime-node has no device outputs on
 * CUDA). A padding sample of the loop's last batch gets sample weight 0: the graph differentiates Σ_b w_b y_b,
 * so its δ, and its share of every sum, is exactly zero.
 */
import { gradients } from "../../onnx/autodiff/mod.ts";
import {
  abs,
  add,
  addToState,
  cast,
  concat,
  gather,
  gemm,
  Graph,
  loop,
  matmul,
  mul,
  reduceMax,
  reduceSum,
  reduceSumSquare,
  squeeze,
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
  /**
   * Density outputs continue a running sum: inputs `density_in.<layer>.<module>` (the sum so far) are added to
   * this batch's, so a run's outputs feed the next run and the sum can stay in device memory (default false).
   */
  accumulate?: boolean;
  /** Number of samples the graph takes (its batch dimension is fixed: the per-sample chain is unrolled). */
  batch: number;
  /**
   * How per-sample products are formed: "chain" (default) one [out, in] product after another, least memory
   * (CPU, WebGPU); "batched" one batched MatMul [B, out, in] per linear reduced over the batch (CUDA: cuBLAS
   * at full rate), in the compute dtype and summed in float32.
   */
  products?: ActivationProducts;
  /**
   * Density only: inputs `input_ids`, `attention_mask` [N, B, T] and `sample_weight` [N, B] hold N batches,
   * run inside one ONNX Loop whose state is the running sums (inputs `density_in.*` [1, 1] zero or the sums so
   * far); outputs `y` [N, B] and the sums. Default false.
   */
  loop?: boolean;
}

/** See {@link ActivationGradientOptions.products}. */
export type ActivationProducts = "chain" | "batched";

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
    products: opts.products ?? "chain",
    loop: opts.loop ?? false,
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
  if (r.loop && (r.similarity || !r.density)) {
    throw new ActpatError("build activation gradient graph", "a loop over batches computes density only");
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
    // 6: batched products and the loop over batches (options); weights declared in the root graph.
    // 7: half-precision batched products summed over the batch and multiplied by W in the compute dtype.
    version: 7,
    config,
    ...resolved(config, opts),
    weights: weightKey(store, modelTensorNames(config)),
  };
}

/**
 * Builds the graph: inputs `input_ids`, `attention_mask` [B, T] (right padding); outputs `y` [B] and the
 * requested reductions for each linear of each selected layer. With `loop`, see
 * {@link ActivationGradientOptions.loop}.
 */
export function buildActivationGradientGraph(
  config: LlamaConfig,
  store: WeightStore,
  opts: ActivationGradientOptions,
): Graph {
  const r = resolved(config, opts);
  const acc = accumulateDType(r.dtype);
  const g = new Graph("llama_activation_gradient");
  const linears = r.layers.flatMap((l) => LINEAR_MODULES.map((m) => ({ l, m })));
  if (r.loop) {
    const ids = g.input("input_ids", "int64", ["N", "B", "T"]);
    const mask = g.input("attention_mask", "int64", ["N", "B", "T"]);
    const weight = g.input("sample_weight", acc, ["N", "B"]);
    const priors = linears.map(({ l, m }) =>
      g.input(densityInput(l, m), acc, [`rows.${l}.${m}`, `cols.${l}.${m}`])
    );
    const trips = squeeze(g.dimTensor("N"), [0]);
    const { states, outputs: [y] } = loop(trips, priors, (i, sums, body) => {
      const batch = { ids: gather(ids, i, 0), mask: gather(mask, i, 0) };
      body.defineDim("B", batch.ids, 0);
      body.defineDim("T", batch.ids, 1);
      const step = activationStep(body, config, store, batch, gather(weight, i, 0), r);
      return { states: step.map((s, k) => addToState(sums[k], s.density!)), outputs: [step.y] };
    }, {
      stateShapes: linears.map(({ l, m }) => [`rows.${l}.${m}`, `cols.${l}.${m}`]),
      tripDim: "N",
    });
    g.output(y, "y");
    linears.forEach(({ l, m }, k) => g.output(states[k], densityOutput(l, m)));
    return g;
  }
  const step = activationStep(g, config, store, tokenInputs(g), undefined, r);
  g.output(step.y, "y");
  step.forEach((outs, k) => {
    const { l, m } = linears[k];
    g.scope(`activation/layers.${l}/${m}`, () => {
      if (outs.density) {
        const [out, inDim] = linearShape(config, m);
        const total = r.accumulate
          ? add(g.input(densityInput(l, m), acc, [out, inDim]), outs.density)
          : outs.density;
        g.output(total, densityOutput(l, m));
      }
      if (outs.similarity) g.output(outs.similarity, similarityOutput(l, m));
    });
  });
  return g;
}

/**
 * One batch in graph `g`: the forward pass, y [B], the backward pass to every selected linear's output, and
 * each linear's reductions (in `r.layers` × LINEAR_MODULES order). With `weight` [B], the backward pass
 * differentiates Σ_b w_b y_b.
 */
function activationStep(
  g: Graph,
  config: LlamaConfig,
  store: WeightStore,
  inputs: { ids: Value; mask: Value },
  weight: Value | undefined,
  r: ReturnType<typeof resolved>,
): { density?: Value; similarity?: Value }[] & { y: Value } {
  const acc = accumulateDType(r.dtype);
  const trunk = llamaTrunk(g, config, store, inputs, r.dtype);
  const y = g.scope("y", () => {
    // The rows are picked in the accumulation dtype: GatherElements' gradient is a ScatterElements-add, which
    // onnxruntime's CPU provider has no float16 kernel for.
    const hidden = trunk.hidden.dtype === acc ? trunk.hidden : cast(trunk.hidden, acc);
    const last = lastTokenRows(hidden, inputs.mask);
    const logits = lmHead(g, config, store, last.dtype === r.dtype ? last : cast(last, r.dtype), r.dtype); // [B, V]
    return reduceMax(logits, [1], { keepdims: false });
  });
  const objective = weight ? g.scope("y", () => mul(y, weight)) : y;
  const wrt = r.layers.flatMap((l) => LINEAR_MODULES.map((m) => trunk.layers[l].products[m]));
  const deltas = gradients(g, objective, wrt, { scope: "backward" });
  let k = 0;
  const outs = r.layers.flatMap((l) =>
    LINEAR_MODULES.map((m) => {
      const delta = deltas[k++]; // [B, T, out]
      return g.scope(`activation/layers.${l}/${m}`, () => {
        const toAcc = (v: Value) => v.dtype === acc ? v : cast(v, acc);
        const x = trunk.layers[l].inputs[LINEAR_INPUT_OF[m]]; // [B, T, in]
        const name = linearWeightName(l, m);
        return r.products === "batched" && !r.similarity
          ? { density: batchedDensity(delta, x, weightValue(g, store, name, r.dtype), acc) }
          : reduceLinear(toAcc(delta), toAcc(x), weightValue(g, store, name, acc), r); // W [out, in]
      });
    })
  );
  return Object.assign(outs, { y });
}

/**
 * Σ_b |W ⊙ δ_bᵀ x_b| = |W| ⊙ Σ_b |δ_bᵀ x_b| as one batched MatMul [B, out, in] in the compute dtype (float16
 * and bfloat16 products accumulate in float32 inside cuBLAS), |·| and the sum over the batch in that dtype
 * (the reduction accumulates in float32; its result is rounded once), then × |W| with `w` in the compute
 * dtype, the copy the forward pass already holds, so half-precision runs keep no float32 copy of the
 * weights (Llama-2-7B: 26 GB), and read the [B, out, in] products once instead of widening them to float32.
 * The result, in `acc`, is what the running sums add up.
 */
function batchedDensity(delta: Value, x: Value, w: Value, acc: "float32" | "float64"): Value {
  const products = abs(matmul(transpose(delta, [0, 2, 1]), x)); // [B, out, in]
  const density = abs(mul(reduceSum(products, [0], { keepdims: false }), w));
  return density.dtype === acc ? density : cast(density, acc);
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
