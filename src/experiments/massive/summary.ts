/**
 * From per-sequence, per-layer hidden-state statistics to what the experiment reports: per layer the top-3
 * and median magnitudes averaged over sequences (locuslab/massive-activations `lib/plot_utils_llm.py`
 * `plot_layer_ax`: `np.mean(stats, axis=0)` over the per-sequence arrays of `main_llm.py` exp2), and where
 * the largest activations sit (dimension, token position, token) with how constant their value is across
 * sequences.
 */
import { ActpatError } from "../../util/errors.ts";
import type { Activation, HiddenStats } from "./hidden_stats.ts";

/** One row of `massive.csv`. */
export interface LayerSummary {
  /** Decoder block whose output this is, 0-based. */
  layer: number;
  top1: number;
  top2: number;
  top3: number;
  median: number;
  /** top1 / median of the averaged values. */
  ratio: number;
  /** Sequences with at least one massive activation at this layer. */
  massiveSequences: number;
  /** Mean over sequences of the number of massive activations. */
  massiveEntries: number;
}

/** `stats[sequence][layer]` → one summary per layer. */
export function layerSummaries(stats: readonly (readonly HiddenStats[])[]): LayerSummary[] {
  const layers = checkShape(stats);
  const n = stats.length;
  const out: LayerSummary[] = [];
  for (let l = 0; l < layers; l++) {
    const mean = (f: (s: HiddenStats) => number) => stats.reduce((acc, seq) => acc + f(seq[l]), 0) / n;
    const top = [0, 1, 2].map((k) => mean((s) => Math.abs(s.top[k]?.value ?? NaN)));
    const median = mean((s) => s.median);
    out.push({
      layer: l,
      top1: top[0],
      top2: top[1],
      top3: top[2],
      median,
      ratio: top[0] / median,
      massiveSequences: stats.filter((seq) => seq[l].massiveCount > 0).length,
      massiveEntries: mean((s) => s.massiveCount),
    });
  }
  return out;
}

/** The first layer where any sequence has a massive activation, or null. */
export function firstMassiveLayer(stats: readonly (readonly HiddenStats[])[]): number | null {
  const layers = checkShape(stats);
  for (let l = 0; l < layers; l++) if (stats.some((seq) => seq[l].massiveCount > 0)) return l;
  return null;
}

/**
 * One row of `massive_locations.csv`: a site of large activations at one layer. A site is a dimension at
 * the first token (position 0, whatever the token) or at a given token id elsewhere: the paper finds them
 * at the starting token and at delimiter tokens ("." and "\n") wherever those occur, so keying later
 * positions by token groups the same activation across random windows.
 */
export interface LocationSummary {
  layer: number;
  dimension: number;
  /** The position when every occurrence had the same one (always 0 for the first-token site), else null. */
  position: number | null;
  /** Distinct positions seen, ascending. */
  positions: number[];
  /** The token id when every occurrence had the same token, else null. */
  tokenId: number | null;
  /** Distinct token ids seen, most frequent first. */
  tokenIds: number[];
  /** Mean over the sequences where the site is present of its signed value. */
  mean: number;
  /** Population standard deviation of that value over those sequences (0 for one sequence). */
  std: number;
  /** std / |mean|; null when the mean is 0. */
  cv: number | null;
  /** Sequences where the site is among the top-k or massive entries. */
  sequences: number;
  /** Sequences where it meets the massive criterion. */
  massiveSequences: number;
}

interface Occurrence {
  value: number;
  position: number;
  token: number;
  massive: boolean;
}

/**
 * Sites of the top-k and massive entries of every sequence and layer. Within one sequence a site that
 * occurs more than once (a token repeated) contributes its largest-magnitude occurrence. Rows are ordered
 * by layer, then by |mean| descending.
 */
export function locationSummaries(
  stats: readonly (readonly HiddenStats[])[],
  sequences: readonly (readonly number[])[],
): LocationSummary[] {
  const layers = checkShape(stats);
  const out: LocationSummary[] = [];
  for (let l = 0; l < layers; l++) {
    const sites = new Map<string, { dimension: number; occurrences: Occurrence[] }>();
    stats.forEach((seq, s) => {
      const { top, massive } = seq[l];
      const perSequence = new Map<string, Occurrence & { dimension: number }>();
      const visit = (a: Activation, isMassive: boolean) => {
        const token = sequences[s][a.position];
        const key = a.position === 0 ? `${a.dimension}:first` : `${a.dimension}:token:${token}`;
        const prev = perSequence.get(key);
        if (!prev || Math.abs(a.value) > Math.abs(prev.value)) {
          perSequence.set(key, {
            dimension: a.dimension,
            value: a.value,
            position: a.position,
            token,
            massive: isMassive || (prev?.massive ?? false),
          });
        } else if (isMassive) prev.massive = true;
      };
      for (const a of top) {
        visit(
          a,
          massive.some((m) => m.position === a.position && m.dimension === a.dimension),
        );
      }
      for (const a of massive) visit(a, true);
      for (const [key, o] of perSequence) {
        let site = sites.get(key);
        if (!site) sites.set(key, site = { dimension: o.dimension, occurrences: [] });
        site.occurrences.push(o);
      }
    });
    const rows = [...sites.values()].map(({ dimension, occurrences }) => siteRow(l, dimension, occurrences));
    rows.sort((a, b) => Math.abs(b.mean) - Math.abs(a.mean) || a.dimension - b.dimension);
    out.push(...rows);
  }
  return out;
}

function siteRow(layer: number, dimension: number, occ: Occurrence[]): LocationSummary {
  const n = occ.length;
  const mean = occ.reduce((a, o) => a + o.value, 0) / n;
  const std = Math.sqrt(occ.reduce((a, o) => a + (o.value - mean) ** 2, 0) / n);
  const positions = [...new Set(occ.map((o) => o.position))].sort((a, b) => a - b);
  const counts = new Map<number, number>();
  for (const o of occ) counts.set(o.token, (counts.get(o.token) ?? 0) + 1);
  const tokenIds = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([t]) => t);
  return {
    layer,
    dimension,
    position: positions.length === 1 ? positions[0] : null,
    positions,
    tokenId: tokenIds.length === 1 ? tokenIds[0] : null,
    tokenIds,
    mean,
    std,
    cv: mean === 0 ? null : std / Math.abs(mean),
    sequences: n,
    massiveSequences: occ.filter((o) => o.massive).length,
  };
}

function checkShape(stats: readonly (readonly HiddenStats[])[]): number {
  if (stats.length === 0) throw new ActpatError("summarize hidden states", "no sequences");
  const layers = stats[0].length;
  if (stats.some((s) => s.length !== layers)) {
    throw new ActpatError("summarize hidden states", "every sequence needs the statistics of every layer");
  }
  return layers;
}
