/**
 * Operation counts the benchmarked graphs must do (one multiply-add = 2 operations), so measured times turn
 * into achieved FLOP/s. With P = the linear parameters of the decoder layers (q, k, v, o, gate, up, down),
 * L layers, B samples of T tokens (N = B·T tokens), h heads of size h_d, hidden size d and vocabulary V:
 *
 *   attention (per direction)   A = 4·L·B·T²·h·h_d            (QKᵀ and softmax·V over the full T×T square:
 *                                                              the graphs mask, they do not skip)
 *   forward (last logits)       2·P·N + A + 2·V·d·B           (lm_head on each sample's last row only)
 *   eval (log-probs of all T)   2·P·N + A + 2·V·d·N
 *   prune (Wanda calibration)   2·P·N + A + 2·N·Σ(input widths of the 4 distinct linear inputs)
 *   density (forward+backward)  6·P·N + 3·A + 4·V·d·B + 3·P·B
 *
 * Density: forward 2·P·N; backward to every linear output δ = ∂y/∂o needs δ·W for the inputs (2·P·N) and the
 * attention backward (2·A); the per-sample weight gradients δ_bᵀ·x_b are 2·P·N more; the lm_head rows count
 * twice (forward and backward); W ⊙ ∂y/∂W, |·| and the sum over the batch are 3 element-wise operations per
 * parameter per sample (3·P·B). Norms, RoPE, SiLU and softmax are O(N·d) and left out.
 */
import { LINEAR_MODULES, linearShape, type LlamaConfig } from "../src/model/llama_config.ts";

/** The benchmark suites. */
export const SUITES = ["forward", "eval", "density", "prune"] as const;
/** A benchmark suite name. */
export type Suite = typeof SUITES[number];

/** Parameters of the 7 linear weights of one decoder layer. */
export function linearParamsPerLayer(config: LlamaConfig): number {
  return LINEAR_MODULES.reduce((s, m) => {
    const [o, i] = linearShape(config, m);
    return s + o * i;
  }, 0);
}

/** Parameters of every decoder layer's linear weights (P in the formulas above). */
export function linearParams(config: LlamaConfig): number {
  return config.numLayers * linearParamsPerLayer(config);
}

/** Operations of attention's two T×T products over all layers, one direction (A above). */
export function attentionFlops(config: LlamaConfig, batch: number, seqLen: number): number {
  return 4 * config.numLayers * batch * seqLen * seqLen * config.numHeads * config.headDim;
}

/** Operations one call of `suite` does on `batch` samples of `seqLen` tokens (formulas in the module doc). */
export function suiteFlops(suite: Suite, config: LlamaConfig, batch: number, seqLen: number): number {
  const P = linearParams(config);
  const N = batch * seqLen;
  const A = attentionFlops(config, batch, seqLen);
  const head = 2 * config.vocabSize * config.hiddenSize;
  switch (suite) {
    case "forward":
      return 2 * P * N + A + head * batch;
    case "eval":
      return 2 * P * N + A + head * N;
    case "prune": {
      const d = config.hiddenSize;
      // attn_in, o_in, mlp_in, down_in: Σ x² per column is a multiply-add per element.
      const widths = d + config.numHeads * config.headDim + d + config.intermediateSize;
      return 2 * P * N + A + 2 * N * widths * config.numLayers;
    }
    case "density":
      return 6 * P * N + 3 * A + 2 * head * batch + 3 * P * batch;
  }
}
