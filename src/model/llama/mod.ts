/**
 * Llama-family graphs, all built from one decoder layer definition (`decoder_layer.ts`): the causal LM
 * (log-probabilities of targets, logits), the decoder block (hidden states and Wanda input statistics), the
 * embedding, and the activation-gradient graph (the paper's W ⊙ ∂y/∂W reduced in-graph to density and
 * pairwise similarity sums). {@link LlamaRunner} builds, caches and runs them.
 *
 * @example
 * const model = await loadModel("stories260K-hf");
 * const runner = new LlamaRunner(model, { ep: "cpu" });
 * const [logProbs] = await runner.logProbs([[1, 403, 407]], [[403, 407, 261]]);
 * const { density } = await runner.activationGradients([[1, 403, 407, 261, 378]]);
 *
 * @module
 */
export type { ComputeDType } from "./_weights.ts";
export * from "./rope.ts";
export * from "./decoder_layer.ts";
export * from "./causal_lm_graph.ts";
export {
  buildDecoderBlockGraph,
  buildEmbeddingGraph,
  decoderBlockGraphKey,
  type DecoderBlockOptions,
  embeddingGraphKey,
  SUMSQ_OUTPUT,
} from "./decoder_block_graph.ts";
export * from "./activation_gradient_graph.ts";
export * from "./llama_runner.ts";
export * from "./greedy.ts";
