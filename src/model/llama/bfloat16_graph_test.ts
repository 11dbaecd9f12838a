/**
 * bfloat16 compute runs only on CUDA, which no test machine has, so what can be checked here is checked: every
 * graph the runner opens, built in bfloat16, (1) holds bfloat16 only in ops the CUDA provider has bfloat16
 * kernels for, (2) keeps norms, RoPE angles and softmax out of bfloat16, with float32 outputs (the running
 * density and similarity sums), (3) passes onnxruntime's type and shape inference (a CPU session gets as far
 * as kernel lookup, where the CPU provider's missing bfloat16 kernels stop it), and (4) computes with bfloat16
 * checkpoint tensors as stored, with no float32 copy of them in the density Loop. The numbers themselves are
 * measured on the device (bench/RESULTS.md).
 */
import assert from "node:assert/strict";
import {
  randomWeights,
  TINY_CONFIGS,
  tinyModel,
  writeSafetensors,
} from "../../../test/reference/tiny_models.ts";
import { tempDir } from "../../../test/fixtures/temp_dir.ts";
import type { Graph, Node } from "../../onnx/graph.ts";
import { serializeGraph } from "../../onnx/serialize.ts";
import { createSession } from "../../onnx/session.ts";
import type { LlamaConfig } from "../llama_config.ts";
import type { WeightStore } from "../weights.ts";
import { buildActivationGradientGraph } from "./activation_gradient_graph.ts";
import { buildCausalLmGraph } from "./causal_lm_graph.ts";
import { buildDecoderBlockGraph, buildEmbeddingGraph } from "./decoder_block_graph.ts";
import { buildLmHeadGraph } from "./lm_head_graph.ts";
import { LlamaRunner } from "./llama_runner.ts";

/**
 * ai.onnx ops whose CUDA kernel, at the registration covering opset 21, lists tensor(bfloat16)
 * (onnxruntime docs/OperatorKernels.md, CUDAExecutionProvider, microsoft/onnxruntime@001d12d). Ops absent
 * here (Cos, Sin, Reciprocal, ReduceMean, ReduceMax, Log, LogSoftmax, CumSum, Less, Greater, Equal, …) have no
 * bfloat16 CUDA kernel and must stay in float32.
 */
const CUDA_BFLOAT16_OPS = new Set([
  "Abs",
  "Add",
  "Cast",
  "Concat",
  "Div",
  "Exp",
  "Expand",
  "Gather",
  "GatherElements",
  "Gemm",
  "MatMul",
  "Max",
  "Mul",
  "Neg",
  "ReduceSum",
  "Reshape",
  "Shape",
  "Sigmoid",
  "Slice",
  "Softmax",
  "Split",
  "Sqrt",
  "Squeeze",
  "Sub",
  "Transpose",
  "Unsqueeze",
  "Where",
]);

/** Every node of `g` and of its subgraphs (a Loop's body). */
function* allNodes(g: Graph): Generator<Node> {
  for (const n of g.nodes) {
    yield n;
    for (const a of Object.values(n.attrs)) {
      if (a && typeof a === "object" && "graph" in a) yield* allNodes((a as { graph: Graph }).graph);
    }
  }
}

const touches = (n: Node, dtype: string) => [...n.inputs, ...n.outputs].some((v) => v?.dtype === dtype);

/** The graphs LlamaRunner opens, as it builds them on CUDA, in bfloat16. */
function runnerGraphs(config: LlamaConfig, store: WeightStore): [string, Graph][] {
  const dtype = "bfloat16";
  return [
    [
      "density (Loop, batched products)",
      buildActivationGradientGraph(config, store, { dtype, batch: 2, products: "batched", loop: true }),
    ],
    [
      "density and similarity (chain)",
      buildActivationGradientGraph(config, store, { dtype, batch: 2, density: true, similarity: true }),
    ],
    [
      "causal LM",
      buildCausalLmGraph(config, store, {
        dtype,
        outputs: { logProbs: true, logits: true, lastLogits: true },
      }),
    ],
    ["embedding", buildEmbeddingGraph(config, store, dtype)],
    ["decoder block", buildDecoderBlockGraph(config, store, 0, { dtype, attention: true })],
    ["lm head", buildLmHeadGraph(config, store, dtype)],
  ];
}

Deno.test("bfloat16 graphs use only ops with CUDA bfloat16 kernels and keep sums and outputs in float32", () => {
  for (const name of Object.keys(TINY_CONFIGS)) {
    const { config, store } = tinyModel(name, 1);
    for (const [what, g] of runnerGraphs(config, store)) {
      const nodes = [...allNodes(g)];
      assert.ok(nodes.some((n) => touches(n, "bfloat16")), `${name} ${what}: nothing computed in bfloat16`);
      for (const n of nodes) {
        if (touches(n, "bfloat16")) {
          assert.ok(CUDA_BFLOAT16_OPS.has(n.opType), `${name} ${what}: ${n.name} (${n.opType}) in bfloat16`);
        }
        assert.ok(!touches(n, "float16"), `${name} ${what}: ${n.name} holds float16 in a bfloat16 graph`);
        // CUDA has a bfloat16 Softmax, but attention probabilities are formed in float32, as transformers does.
        assert.ok(!(n.opType === "Softmax" && touches(n, "bfloat16")), `${name} ${what}: ${n.name}`);
      }
      for (const { name: out, value } of g.outputs) {
        assert.equal(value.dtype, "float32", `${name} ${what}: output ${out}`);
      }
    }
  }
});

Deno.test("bfloat16 graphs pass onnxruntime's type inference; the CPU provider then lacks the kernels", async () => {
  const { config, store } = tinyModel("gqa_untied", 1);
  let stopped = 0;
  for (const [what, g] of runnerGraphs(config, store)) {
    try {
      await (await createSession(serializeGraph(g), { threads: 1 })).release(); // e.g. the embedding's Gather
    } catch (err) {
      assert.match((err as Error).message, /Could not find an implementation for \w+\(\d+\) node/, what);
      stopped++;
    }
  }
  assert.ok(stopped >= 4, "the graphs with bfloat16 matrix products stop at kernel lookup on the CPU");
});

Deno.test("bfloat16 checkpoint tensors enter bfloat16 compute as stored", async () => {
  await using dir = await tempDir();
  const config = TINY_CONFIGS.gqa_untied;
  const store = await writeSafetensors(dir.path, randomWeights(config, 1), config, "BF16");
  for (const [what, g] of runnerGraphs(config, store)) {
    const stored = new Set(g.initializers.map((i) => i.value).filter((v) => v.dtype === "bfloat16"));
    assert.ok(stored.size > 0, what);
    for (const n of allNodes(g)) {
      if (n.opType !== "Cast" || !stored.has(n.inputs[0]!)) continue;
      // Only the chain's W ⊙ ∂y/∂W (similarity) widens a weight, exactly, to float32; the density Loop keeps
      // no float32 copy of the weights.
      assert.ok(what.includes("chain") && n.outputs[0].dtype === "float32", `${what}: ${n.name}`);
    }
  }
});

Deno.test("the runner refuses bfloat16 compute off CUDA, naming the provider", () => {
  const { config, store } = tinyModel("mha_tied", 1);
  assert.throws(
    () => new LlamaRunner({ config, weights: store }, { dtype: "bfloat16", ep: "webgpu" }),
    /compute in bfloat16 on the webgpu provider: onnxruntime's webgpu provider has no bfloat16 matrix product/,
  );
});
