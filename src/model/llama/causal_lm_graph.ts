/**
 * Causal LM graph: token ids [B, T] and attention mask [B, T] → per-token log-probabilities of given target
 * ids (log-softmax gathered), and optionally the full logits or each sample's last-token logits.
 */
import {
  exp,
  gatherElements,
  Graph,
  log,
  reduceMax,
  reduceSum,
  squeeze,
  sub,
  unsqueeze,
  type Value,
} from "../../onnx/mod.ts";
import { ActpatError } from "../../util/errors.ts";
import type { LlamaConfig } from "../llama_config.ts";
import type { WeightStore } from "../weights.ts";
import { type ComputeDType, weightKey } from "./_weights.ts";
import { lastTokenRows, llamaTrunk, lmHead, modelTensorNames, tokenInputs } from "./_stack.ts";

/** What a causal LM graph returns; graph inputs follow from it (`targets` only with `logProbs`). */
export interface CausalLmOutputs {
  /** `log_probs` [B, T]: log p(targets[b, t] | ids[b, ≤ t]). Needs input `targets` [B, T] int64. */
  logProbs?: boolean;
  /** `logits` [B, T, vocab]. */
  logits?: boolean;
  /** `last_logits` [B, vocab]: logits at each sample's last real token (greedy decoding). */
  lastLogits?: boolean;
}

/** Options of {@link buildCausalLmGraph}. */
export interface CausalLmOptions {
  /** Compute dtype (default float32); outputs are float32, or float64 for float64 graphs. */
  dtype?: ComputeDType;
  /** Default: log-probabilities only. */
  outputs?: CausalLmOutputs;
}

function resolved(opts: CausalLmOptions): { dtype: ComputeDType; outputs: Required<CausalLmOutputs> } {
  const o = opts.outputs ?? { logProbs: true };
  return {
    dtype: opts.dtype ?? "float32",
    outputs: { logProbs: o.logProbs ?? false, logits: o.logits ?? false, lastLogits: o.lastLogits ?? false },
  };
}

/** log softmax(logits)[target] over the last axis; `targets` has the shape of logits without that axis. */
export function gatherLogProbs(logits: Value, targets: Value): Value {
  const max = reduceMax(logits, [-1]);
  const shifted = sub(logits, max);
  const logNorm = log(reduceSum(exp(shifted), [-1]));
  const picked = gatherElements(shifted, unsqueeze(targets, [-1]), -1);
  return squeeze(sub(picked, logNorm), [-1]);
}

/** The graph cache key: everything the serialized graph depends on. */
export function causalLmGraphKey(
  config: LlamaConfig,
  store: WeightStore,
  opts: CausalLmOptions = {},
): unknown {
  const r = resolved(opts);
  return {
    kind: "llama/causal_lm",
    // 2: linears are Gemm(x, W, transB) (no Transpose(W) for onnxruntime to fold into a weight copy).
    version: 2,
    config,
    ...r,
    weights: weightKey(store, modelTensorNames(config)),
  };
}

/** Builds the causal LM graph (inputs `input_ids`, `attention_mask`, and `targets` with log-probs). */
export function buildCausalLmGraph(
  config: LlamaConfig,
  store: WeightStore,
  opts: CausalLmOptions = {},
): Graph {
  const { dtype, outputs } = resolved(opts);
  if (!outputs.logProbs && !outputs.logits && !outputs.lastLogits) {
    throw new ActpatError("build causal LM graph", "no output requested (logProbs, logits or lastLogits)");
  }
  const g = new Graph("llama_causal_lm");
  const inputs = tokenInputs(g);
  const targets = outputs.logProbs ? g.input("targets", "int64", ["B", "T"]) : undefined;
  const trunk = llamaTrunk(g, config, store, inputs, dtype);
  if (outputs.logProbs || outputs.logits) {
    const logits = lmHead(g, config, store, trunk.hidden, dtype);
    if (outputs.logits) g.output(logits, "logits");
    if (targets) g.output(g.scope("log_probs", () => gatherLogProbs(logits, targets)), "log_probs");
  }
  if (outputs.lastLogits) {
    const last = lastTokenRows(trunk.hidden, inputs.mask);
    g.output(lmHead(g, config, store, last, dtype), "last_logits");
  }
  return g;
}
