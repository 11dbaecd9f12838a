/**
 * The measurement of the massive-activations experiment (locuslab/massive-activations `main_llm.py` exp2):
 * run each sequence through the model and take the statistics of the residual stream after every decoder
 * block (the decoder layer's output, `self.feat` in `monkey_patch/modify_llama.py`).
 */
import type { LlamaRunner } from "../../model/llama/llama_runner.ts";
import { ActpatError } from "../../util/errors.ts";
import type { Progress } from "../../util/progress.ts";
import { type HiddenStats, hiddenStats, type MassiveCriterion } from "./hidden_stats.ts";
import { forEachLayer } from "./layered_forward.ts";

/** Top magnitudes kept per hidden state: the paper plots the top 3. */
export const TOP_K = 3;

/** Options of {@link collectHiddenStats}. */
export interface CollectOptions {
  criterion: MassiveCriterion;
  /** Sequences per forward pass (default 1). */
  batch?: number;
  /** Massive entries kept per sequence and layer (all are counted; default 64). */
  maxMassive?: number;
  /** Ticked once per sequence. */
  progress?: Progress;
  /**
   * Called per sequence and layer with the attention each key receives, [heads × T] (Σ over the real
   * queries of the attention probability); the blocks then run with that output (one pass for both).
   */
  onAttention?: (sequence: number, layer: number, keyMass: Float32Array | Float64Array) => void;
}

/** `stats[sequence][layer]` of the hidden state after each decoder block, for sequences of equal length. */
export async function collectHiddenStats(
  runner: LlamaRunner,
  sequences: readonly (readonly number[])[],
  options: CollectOptions,
): Promise<HiddenStats[][]> {
  const T = sequences[0]?.length ?? 0;
  if (T === 0 || sequences.some((s) => s.length !== T)) {
    throw new ActpatError("measure hidden states", "the sequences must be non-empty and of equal length");
  }
  const d = runner.model.config.hiddenSize;
  const batch = options.batch ?? 1;
  const out: HiddenStats[][] = [];
  for (let start = 0; start < sequences.length; start += batch) {
    const chunk = sequences.slice(start, start + batch);
    const rows: HiddenStats[][] = chunk.map(() => []);
    await forEachLayer(runner, chunk, (layer, hidden, keyMass) => {
      const data = hidden.data as Float32Array | Float64Array;
      const mass = keyMass?.data as Float32Array | Float64Array | undefined;
      const H = keyMass?.dims[1] ?? 0;
      chunk.forEach((_, b) => {
        rows[b][layer] = hiddenStats(data.subarray(b * T * d, (b + 1) * T * d), T, d, {
          topK: TOP_K,
          criterion: options.criterion,
          maxMassive: options.maxMassive,
        });
        if (mass) options.onAttention!(start + b, layer, mass.slice(b * H * T, (b + 1) * H * T));
      });
    }, { attention: options.onAttention !== undefined });
    out.push(...rows);
    options.progress?.tick(chunk.length);
  }
  return out;
}
