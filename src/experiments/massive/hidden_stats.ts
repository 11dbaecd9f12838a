/**
 * Statistics of one hidden state (one sequence's residual stream after one decoder block, [T × d]) as the
 * massive-activations paper reads them (locuslab/massive-activations `main_llm.py`, exp2): the largest
 * magnitudes (`torch.sort(feat_abs.flatten(), descending=True)`, top 3) and the median magnitude over all
 * tokens × dimensions (`torch.median(feat_abs)`, which for an even count is the LOWER of the two middle
 * values, not their average), plus the entries that meet the paper's criterion of a massive activation:
 * |x| > `absolute` (100) and |x| > `ratio` (1000) × that median.
 */
import { ActpatError } from "../../util/errors.ts";
import { selectKth } from "../stats/select.ts";

/** One entry of a hidden state: token position, dimension, signed value. */
export interface Activation {
  position: number;
  dimension: number;
  value: number;
}

/** When an activation counts as massive: |x| > absolute and |x| > ratio × median |h| of its hidden state. */
export interface MassiveCriterion {
  absolute: number;
  ratio: number;
}

/** The paper's criterion (Sun et al. 2024, Section 2: "magnitudes larger than 100 and ... 1000 times ... median"). */
export const PAPER_CRITERION: MassiveCriterion = { absolute: 100, ratio: 1000 };

/** Statistics of one [T × d] hidden state. */
export interface HiddenStats {
  /** The `topK` largest magnitudes, largest first (ties: lower flat index first). */
  top: Activation[];
  /** Lower median of |h| over all T × d entries (torch.median). */
  median: number;
  /** Number of entries that meet the criterion. */
  massiveCount: number;
  /** Those entries, largest magnitude first, at most `maxMassive` of them. */
  massive: Activation[];
}

/** Options of {@link hiddenStats}. */
export interface HiddenStatsOptions {
  topK: number;
  criterion: MassiveCriterion;
  /** Keep at most this many massive entries (all are counted); default 64. */
  maxMassive?: number;
}

/** The threshold an entry's magnitude must exceed (strictly) to be massive. */
export function massiveThreshold(criterion: MassiveCriterion, median: number): number {
  return Math.max(criterion.absolute, criterion.ratio * median);
}

/**
 * Statistics of the hidden state `data` (row-major [tokens × dims], one sequence).
 * @example hiddenStats(h, 4096, 4096, { topK: 3, criterion: PAPER_CRITERION })
 */
export function hiddenStats(
  data: Float32Array | Float64Array,
  tokens: number,
  dims: number,
  options: HiddenStatsOptions,
): HiddenStats {
  const n = tokens * dims;
  if (data.length !== n) {
    throw new ActpatError(
      "compute hidden-state statistics",
      `${data.length} values for ${tokens} tokens × ${dims} dims`,
    );
  }
  if (n < options.topK || n === 0) {
    throw new ActpatError(
      "compute hidden-state statistics",
      `${n} values are fewer than the top ${options.topK}`,
    );
  }
  const abs = data instanceof Float32Array ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = data[i];
    if (Number.isNaN(v)) {
      throw new ActpatError(
        "compute hidden-state statistics",
        `entry (token ${Math.floor(i / dims)}, dim ${i % dims}) is NaN`,
      );
    }
    abs[i] = Math.abs(v);
  }
  const top = topEntries(abs, options.topK).map((i) => entry(data, i, dims));
  // abs is only read above; the selection reorders it in place.
  const median = selectKth(abs, Math.floor((n - 1) / 2));
  const threshold = massiveThreshold(options.criterion, median);
  const cap = options.maxMassive ?? 64;
  let kept: number[] = [];
  let massiveCount = 0;
  for (let i = 0; i < n; i++) {
    if (Math.abs(data[i]) > threshold) {
      massiveCount++;
      kept.push(i);
      // Loose thresholds could select millions of entries: prune to the largest `cap` now and then.
      if (kept.length > 8 * cap + 64) kept = largestFirst(data, kept).slice(0, cap);
    }
  }
  const massive = largestFirst(data, kept).slice(0, cap).map((i) => entry(data, i, dims));
  return { top, median, massiveCount, massive };
}

function entry(data: ArrayLike<number>, i: number, dims: number): Activation {
  return { position: Math.floor(i / dims), dimension: i % dims, value: data[i] };
}

/** Flat indices sorted by |value| descending, ties by index. */
function largestFirst(data: ArrayLike<number>, idx: number[]): number[] {
  return idx.sort((a, b) => Math.abs(data[b]) - Math.abs(data[a]) || a - b);
}

/** Flat indices of the k largest values of `abs`, largest first (ties: lower index first). */
function topEntries(abs: ArrayLike<number>, k: number): number[] {
  const best: number[] = [];
  for (let i = 0; i < abs.length; i++) {
    const v = abs[i];
    if (best.length === k && !(v > abs[best[k - 1]])) continue;
    // Fill the next free slot, or overwrite the smallest once full, then bubble up.
    let j = best.length < k ? best.length : k - 1;
    while (j > 0 && v > abs[best[j - 1]]) {
      best[j] = best[j - 1];
      j--;
    }
    best[j] = i;
  }
  return best;
}
