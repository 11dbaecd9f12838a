/**
 * The layer ranges over which the paper's STS script sums the per-layer similarities, derived from its code
 * (Qian2333/Exploring-Activation-Patterns-of-Parameters-in-Language-Models @93503116, llama_sts.py:103-166):
 * `range(12, L - 2)`, `range(12, L)`, `range(16, L - 2)`, `range(16, L)`, `range(20, L - 2)`, `range(20, L)`,
 * in that order, where L = `len(ans_sta)` is the number of decoder layers (7 weight matrices per layer for
 * LLaMA, 5 for Qwen v1's fused ones: one entry per layer either way). Python ranges exclude their end, so
 * `range(12, 30)` is the inclusive "12-29".
 */
import { ActpatError } from "../../util/errors.ts";

/** The first layers of the code's ranges. */
const STARTS = [12, 16, 20] as const;

/**
 * The six ranges of llama_sts.py for an L-layer model, as inclusive `a-b` specs in the code's order.
 * @example paperStsRanges(32) // ["12-29", "12-31", "16-29", "16-31", "20-29", "20-31"]
 */
export function paperStsRanges(numLayers: number): string[] {
  if (!Number.isInteger(numLayers) || numLayers < STARTS[STARTS.length - 1] + 3) {
    throw new ActpatError(
      "derive the paper's STS ranges",
      `${numLayers} layers: range(20, L - 2) needs L ≥ 23 (use --layers for smaller models)`,
    );
  }
  return STARTS.flatMap((a) => [`${a}-${numLayers - 3}`, `${a}-${numLayers - 1}`]);
}
