/**
 * The reference's intervention, as written (locuslab/massive-activations @6521c05, `lib/hook.py`
 * `Intervened_Layer.update`, hooked by `main_llm.py` exp3 on `layers[args.layer_id - 1]` with the README's
 * `--layer_id 2`): after decoder layer index 1 (the second layer), in every scored window,
 *
 * - Llama-2-7B: find the token holding the largest |activation| of the window's hidden state
 *   (`torch.sort(feat_abs.flatten(), descending=True).indices[0] // hidden`); when it is not the first token,
 *   set its dims 2533 and 1415 to 2546.8 and −1502.0; then set dims 2533 and 1415 of the first token to 767.6
 *   and −458.55;
 * - Llama-2-13B: set dims 4743 and 2100 of the first token to −1223.5 and −717.95;
 *
 * each value times α = 1 (`set_mean`) or 0 (`set_zero`). The hook edits nothing for any other model; here a
 * model without hard-coded values gets the same rule (layer index 1, first token and top token) with the dims
 * and means measured on the run's own analysis sequences, recorded as such.
 */
import { ActpatError } from "../../util/errors.ts";
import type { HiddenStats } from "./hidden_stats.ts";
import type { InterventionSetting } from "./intervention.ts";

/** Where the reference's code lives, for every value below. */
export const REFERENCE_HOOK =
  "locuslab/massive-activations@6521c05efd2c22460e8486471c8ef511ebd8c067 lib/hook.py";

/**
 * The decoder layer (0-based) whose output the reference edits: `main_llm.py` exp3 hooks
 * `layers[args.layer_id - 1]`, run as `--layer_id 2` (README "Intervention analysis").
 */
export const REFERENCE_LAYER = 1;

/** One edit: set `dimension` of the first token, or of the top token when it is not the first, to `mean` · α. */
export interface PaperSite {
  position: "first" | "top";
  dimension: number;
  mean: number;
  /** `lib/hook.py#L<line>` for hard-coded values, or "measured" with the count it averages. */
  source: string;
}

/** The reference's hard-coded sites per model (keys as `lib/model_dict.py` names them). */
export const REFERENCE_SITES: Readonly<Record<string, { hubId: string; sites: readonly PaperSite[] }>> = {
  llama2_7b: {
    hubId: "meta-llama/Llama-2-7b-hf",
    sites: [
      { position: "top", dimension: 2533, mean: 2546.8, source: "lib/hook.py#L29" },
      { position: "top", dimension: 1415, mean: -1502.0, source: "lib/hook.py#L30" },
      { position: "first", dimension: 2533, mean: 767.6, source: "lib/hook.py#L32" },
      { position: "first", dimension: 1415, mean: -458.55, source: "lib/hook.py#L33" },
    ],
  },
  llama2_13b: {
    hubId: "meta-llama/Llama-2-13b-hf",
    sites: [
      { position: "first", dimension: 4743, mean: -1223.5, source: "lib/hook.py#L19" },
      { position: "first", dimension: 2100, mean: -717.95, source: "lib/hook.py#L20" },
    ],
  },
};

/** The plan of `--intervention paper`. */
export interface PaperPlan {
  rule: "paper";
  /** Decoder block after which the hidden state is edited (0-based). */
  layer: number;
  /** The reference's model key when its hard-coded sites are used, else null (measured sites). */
  referenceModel: string | null;
  sites: PaperSite[];
  source: string;
}

/**
 * The reference's model key for a model reference (hub id, or a local folder named after it), matched as
 * `hook.py` matches: exactly those two models, not their chat variants.
 */
export function referenceModelKey(modelRef: string): string | null {
  const tail = modelRef.replace(/\/+$/, "").toLowerCase();
  for (const [key, { hubId }] of Object.entries(REFERENCE_SITES)) {
    const id = hubId.toLowerCase();
    const repo = id.split("/")[1];
    if (tail === id || tail.endsWith(`/${repo}`) || tail === repo) return key;
  }
  return null;
}

/**
 * The plan for `modelRef`: the hard-coded sites where the reference has them, else sites measured at
 * {@link REFERENCE_LAYER} on the analysed sequences (`stats[sequence][layer]`): every dimension that is
 * massive at the first token, and every dimension massive at the sequence's top token when that is not the
 * first, each with its mean value over the sequences where it is. Null when nothing is massive there.
 */
export function paperPlan(
  modelRef: string,
  stats: readonly (readonly HiddenStats[])[],
  numLayers: number,
): PaperPlan | null {
  if (numLayers <= REFERENCE_LAYER) {
    throw new ActpatError(
      "plan the paper intervention",
      `the model has ${numLayers} decoder layers; the reference edits layer index ${REFERENCE_LAYER}`,
    );
  }
  const key = referenceModelKey(modelRef);
  if (key !== null) {
    return {
      rule: "paper",
      layer: REFERENCE_LAYER,
      referenceModel: key,
      sites: REFERENCE_SITES[key].sites.map((s) => ({
        ...s,
        source: `${REFERENCE_HOOK.split(" ")[0]} ${s.source}`,
      })),
      source: REFERENCE_HOOK,
    };
  }
  const acc = new Map<string, { position: "first" | "top"; dimension: number; values: number[] }>();
  for (const seq of stats) {
    const s = seq[REFERENCE_LAYER];
    if (s === undefined) {
      throw new ActpatError("plan the paper intervention", `no statistics for layer ${REFERENCE_LAYER}`);
    }
    const topPosition = s.top[0]?.position ?? 0;
    for (const a of s.massive) {
      const position = a.position === 0 ? "first" : a.position === topPosition ? "top" : null;
      if (position === null) continue;
      const k = `${position}:${a.dimension}`;
      let e = acc.get(k);
      if (!e) acc.set(k, e = { position, dimension: a.dimension, values: [] });
      e.values.push(a.value);
    }
  }
  if (acc.size === 0) return null;
  // hook.py's order: the top token's edits, then the first token's.
  const order = (p: "first" | "top") => p === "top" ? 0 : 1;
  const sites = [...acc.values()]
    .sort((a, b) => order(a.position) - order(b.position) || a.dimension - b.dimension)
    .map((e) => ({
      position: e.position,
      dimension: e.dimension,
      mean: e.values.reduce((x, y) => x + y, 0) / e.values.length,
      source: `measured: mean of ${e.values.length} massive entries`,
    }));
  return {
    rule: "paper",
    layer: REFERENCE_LAYER,
    referenceModel: null,
    sites,
    source: `${REFERENCE_HOOK} rule (first token, top token) with dims and means measured on the analysis ` +
      "sequences: the reference hard-codes values for Llama-2-7B and -13B only",
  };
}

/**
 * Edits one window's hidden state `data` ([tokens × dims], in place) as `Intervened_Layer.update` does.
 * Returns the number of entries set.
 */
export function applyPaperIntervention(
  data: Float32Array | Float64Array,
  tokens: number,
  dims: number,
  plan: PaperPlan,
  setting: InterventionSetting,
): number {
  if (data.length !== tokens * dims) {
    throw new ActpatError(
      "apply the paper intervention",
      `${data.length} values for ${tokens} tokens × ${dims} dims`,
    );
  }
  const alpha = setting === "zero" ? 0 : 1;
  // The first largest |x| in flat order (ties: torch.sort leaves their order unspecified).
  let top = 0;
  for (let i = 1; i < data.length; i++) if (Math.abs(data[i]) > Math.abs(data[top])) top = i;
  const topToken = Math.floor(top / dims);
  let set = 0;
  for (const site of plan.sites) {
    if (site.dimension >= dims) {
      throw new ActpatError(
        "apply the paper intervention",
        `dimension ${site.dimension} is outside [0, ${dims}) (sites of ${
          plan.referenceModel ?? "another model"
        })`,
      );
    }
    if (site.position === "top" && topToken === 0) continue;
    const t = site.position === "top" ? topToken : 0;
    data[t * dims + site.dimension] = site.mean * alpha;
    set++;
  }
  return set;
}
