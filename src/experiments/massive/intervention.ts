/**
 * The paper's intervention (locuslab/massive-activations `lib/hook.py` `Intervened_Layer`, run by
 * `main_llm.py` exp3): after the decoder block where massive activations first appear, set them to zero
 * (`set_zero`) or to their mean over sequences (`set_mean`), then measure perplexity. The hook hard-codes
 * Llama-2-7B's sites: dims 2533 and 1415 at the first token (means 767.6 and −458.55) and, at the token
 * holding the largest activation when that is not the first one, the same dims with other means (2546.8,
 * −1502.0). Here the sites and means come from the analysed sequences: the dimensions that are massive at
 * that layer, with one mean for the first token and one for later tokens. In every scored window, an entry
 * of such a dimension that meets the criterion against that window's own median is replaced, so sites at
 * delimiter tokens are found wherever they fall.
 */
import { ActpatError } from "../../util/errors.ts";
import { type HiddenStats, type MassiveCriterion, massiveThreshold } from "./hidden_stats.ts";
import { selectKth } from "../stats/select.ts";

/** What a massive activation is set to. */
export type InterventionSetting = "zero" | "mean";

/** The settings, in the order `intervention.csv` lists them after "original". */
export const INTERVENTION_SETTINGS: readonly InterventionSetting[] = ["zero", "mean"];

/** One massive dimension and its mean values over the analysed sequences. */
export interface InterventionSite {
  dimension: number;
  /** Mean at position 0 (null when never massive there). */
  first: number | null;
  /** Mean at later positions (null when never massive there). */
  other: number | null;
  /** Mean over all its massive entries (used for a position class never seen in the analysis). */
  all: number;
  /** Massive entries the means average. */
  count: number;
}

/** Where and how to intervene. */
export interface InterventionPlan {
  /** Decoder block after which the hidden state is edited (0-based). */
  layer: number;
  criterion: MassiveCriterion;
  sites: InterventionSite[];
}

/**
 * The plan at `layer` from the massive entries of every analysed sequence there (each sequence's list is
 * capped at its largest entries, see `hiddenStats`' `maxMassive`); null when none is massive there.
 */
export function interventionPlan(
  stats: readonly (readonly HiddenStats[])[],
  layer: number,
  criterion: MassiveCriterion,
): InterventionPlan | null {
  const acc = new Map<number, { first: number[]; other: number[] }>();
  for (const seq of stats) {
    const s = seq[layer];
    if (s === undefined) throw new ActpatError("plan the intervention", `no statistics for layer ${layer}`);
    for (const a of s.massive) {
      let d = acc.get(a.dimension);
      if (!d) acc.set(a.dimension, d = { first: [], other: [] });
      (a.position === 0 ? d.first : d.other).push(a.value);
    }
  }
  if (acc.size === 0) return null;
  const mean = (xs: number[]) => xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
  const sites = [...acc.entries()].sort((a, b) => a[0] - b[0]).map(([dimension, d]) => ({
    dimension,
    first: mean(d.first),
    other: mean(d.other),
    all: mean([...d.first, ...d.other])!,
    count: d.first.length + d.other.length,
  }));
  return { layer, criterion, sites };
}

/**
 * Edits one sequence's hidden state `data` ([tokens × dims], in place): every entry of a planned dimension
 * whose magnitude meets the criterion against this hidden state's median |h| (lower median, as in the
 * analysis) is set to 0 or to the site's mean for its position class. Returns how many entries changed.
 */
export function applyIntervention(
  data: Float32Array | Float64Array,
  tokens: number,
  dims: number,
  plan: InterventionPlan,
  setting: InterventionSetting,
): number {
  if (data.length !== tokens * dims) {
    throw new ActpatError(
      "apply the intervention",
      `${data.length} values for ${tokens} tokens × ${dims} dims`,
    );
  }
  const abs = data instanceof Float32Array ? new Float32Array(data.length) : new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) abs[i] = Math.abs(data[i]);
  const threshold = massiveThreshold(plan.criterion, selectKth(abs, Math.floor((data.length - 1) / 2)));
  let replaced = 0;
  for (const site of plan.sites) {
    if (site.dimension >= dims) {
      throw new ActpatError("apply the intervention", `dimension ${site.dimension} is outside [0, ${dims})`);
    }
    for (let t = 0; t < tokens; t++) {
      const i = t * dims + site.dimension;
      if (!(Math.abs(data[i]) > threshold)) continue;
      data[i] = setting === "zero" ? 0 : ((t === 0 ? site.first : site.other) ?? site.all);
      replaced++;
    }
  }
  return replaced;
}
