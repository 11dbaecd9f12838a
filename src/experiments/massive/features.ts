/**
 * The paper's signature figure (Sun et al. 2024, Figure 1; locuslab/massive-activations `main_llm.py` exp1
 * and `lib/plot_utils_llm.py` `plot_3d_feat`): the magnitudes of one prompt's residual stream after one
 * decoder layer, over tokens × feature dimensions. The reference runs "Summer is warm. Winter is cold."
 * tokenized without special tokens (`add_special_tokens=False`) and reads `layers[layer_id - 1].feat` with the
 * README's `--layer_id 2`, the output of layer index 1.
 */
import type { LlamaRunner } from "../../model/llama/llama_runner.ts";
import { ActpatError } from "../../util/errors.ts";
import { type MassiveCriterion, massiveThreshold } from "./hidden_stats.ts";
import { selectKth } from "../stats/select.ts";
import { runBlocks } from "./layered_forward.ts";

/** The reference's prompt for the figure (`main_llm.py` exp1 `seq`). */
export const FEATURE_PROMPT = "Summer is warm. Winter is cold.";

/** How many of the largest magnitudes are marked `top` (the paper plots the top 3 elsewhere). */
const TOP_MARKED = 3;

/** One entry of the hidden state: a row of `massive_features.csv`. */
export interface FeatureEntry {
  position: number;
  tokenId: number;
  dimension: number;
  value: number;
  /** |value| > max(absolute, ratio × median |h| of this hidden state). */
  massive: boolean;
  /** Among the three largest magnitudes. */
  top: boolean;
}

/** The hidden state after decoder layer `layer` (0-based) for the token ids `ids`, [T × hidden]. */
export async function residualAt(
  runner: LlamaRunner,
  ids: readonly number[],
  layer: number,
): Promise<Float32Array | Float64Array> {
  const L = runner.model.config.numLayers;
  if (!Number.isInteger(layer) || layer < 0 || layer >= L) {
    throw new ActpatError("parse --feature-layer", `${layer} is outside [0, ${L})`);
  }
  if (ids.length === 0) throw new ActpatError("measure the prompt's features", "the prompt has no tokens");
  const { hidden, mask } = await runner.embed([ids]);
  const out = await runBlocks(runner, hidden, mask, 0, layer + 1);
  return out.data as Float32Array | Float64Array;
}

/** Every entry of a [T × d] hidden state, with the massive and top-3 marks. */
export function featureEntries(
  data: Float32Array | Float64Array,
  ids: readonly number[],
  dims: number,
  criterion: MassiveCriterion,
): FeatureEntry[] {
  const T = ids.length;
  if (data.length !== T * dims) {
    throw new ActpatError(
      "tabulate the prompt's features",
      `${data.length} values for ${T} tokens × ${dims} dims`,
    );
  }
  const abs = Float64Array.from(data, Math.abs);
  const threshold = massiveThreshold(criterion, selectKth(abs.slice(), Math.floor((abs.length - 1) / 2)));
  const order = Array.from(abs.keys()).sort((a, b) => abs[b] - abs[a] || a - b).slice(0, TOP_MARKED);
  const top = new Set(order);
  return Array.from(data, (value, i) => ({
    position: Math.floor(i / dims),
    tokenId: ids[Math.floor(i / dims)],
    dimension: i % dims,
    value,
    massive: abs[i] > threshold,
    top: top.has(i),
  }));
}
