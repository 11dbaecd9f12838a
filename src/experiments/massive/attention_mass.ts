/**
 * Attention concentration (Sun et al. 2024, Section 4: attention heads put much of their probability on the
 * tokens that hold massive activations): per layer and query head, the attention probability mass that goes
 * to those tokens, mean over query positions, mean over the analysed sequences.
 *
 * For one sequence of T tokens, token set M and head h: mass_h = (1/T) Σ_t Σ_{s∈M, s≤t} p_h(t, s) =
 * (1/T) Σ_{s∈M} keyMass_h(s), keyMass being the attention each key receives summed over the queries (the
 * decoder block graph's `attention_key_mass`). M is the set of positions that hold a massive activation in
 * any layer of that sequence; a model with none anywhere (`massive: none`) gets, per sequence, the position
 * of its largest |activation| over all layers instead, and the table says so.
 */
import { ActpatError } from "../../util/errors.ts";
import type { HiddenStats } from "./hidden_stats.ts";

/** Which tokens the mass is measured to. */
export type TokenSet = "massive" | "largest";

/** One row of `attention_mass.csv`. */
export interface AttentionMassRow {
  layer: number;
  head: number;
  /** Mean over sequences of the per-query attention mass on the token set. */
  mass: number;
  /** The same for position 0 alone (the first token). */
  firstTokenMass: number;
  /** Mean size of the token set per sequence. */
  tokens: number;
  tokenSet: TokenSet;
}

/** The token set of every sequence from its per-layer statistics (`stats[sequence][layer]`). */
export function attentionTokens(
  stats: readonly (readonly HiddenStats[])[],
): { set: TokenSet; positions: number[][] } {
  const massive = stats.map((seq) =>
    [...new Set(seq.flatMap((l) => l.massive.map((a) => a.position)))].sort((a, b) => a - b)
  );
  if (massive.some((p) => p.length > 0)) return { set: "massive", positions: massive };
  const largest = stats.map((seq) => {
    let best = seq[0].top[0];
    for (const l of seq) if (Math.abs(l.top[0].value) > Math.abs(best.value)) best = l.top[0];
    return [best.position];
  });
  return { set: "largest", positions: largest };
}

/**
 * The rows from `keyMass[sequence][layer]` ([heads × T] each, T real tokens per sequence) and each sequence's
 * token positions.
 */
export function attentionMassRows(
  keyMass: readonly (readonly (Float32Array | Float64Array)[])[],
  tokens: { set: TokenSet; positions: readonly (readonly number[])[] },
  heads: number,
): AttentionMassRow[] {
  const n = keyMass.length;
  if (n === 0 || tokens.positions.length !== n) {
    throw new ActpatError(
      "measure attention mass",
      `${n} sequences of attention, ${tokens.positions.length} token sets`,
    );
  }
  const layers = keyMass[0].length;
  const rows: AttentionMassRow[] = [];
  for (let l = 0; l < layers; l++) {
    for (let h = 0; h < heads; h++) {
      let mass = 0;
      let first = 0;
      keyMass.forEach((seq, i) => {
        const km = seq[l];
        const T = km.length / heads;
        if (!Number.isInteger(T)) {
          throw new ActpatError(
            "measure attention mass",
            `layer ${l}: ${km.length} values for ${heads} heads`,
          );
        }
        let s = 0;
        for (const p of tokens.positions[i]) s += km[h * T + p];
        mass += s / T;
        first += km[h * T] / T;
      });
      rows.push({
        layer: l,
        head: h,
        mass: mass / n,
        firstTokenMass: first / n,
        tokens: tokens.positions.reduce((a, p) => a + p.length, 0) / n,
        tokenSet: tokens.set,
      });
    }
  }
  return rows;
}
