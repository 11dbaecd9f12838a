/** The columns of the experiment's CSV files (documented in each run's manifest) and their rows. */
import type { CsvRow, CsvSchema } from "../../results/csv.ts";
import type { Tokenizer } from "../../model/tokenizer.ts";
import type { LayerSummary, LocationSummary } from "./summary.ts";
import type { SettingPerplexity } from "./intervention_perplexity.ts";
import type { AttentionMassRow } from "./attention_mass.ts";
import type { FeatureEntry } from "./features.ts";

/** `massive.csv`: one row per decoder layer. */
export const MASSIVE_COLUMNS: CsvSchema = [
  {
    name: "layer",
    type: "integer",
    description: "decoder block whose output (residual stream) is measured, 0-based",
  },
  {
    name: "top1",
    type: "number",
    description: "largest |activation| over tokens × dims, mean over sequences",
  },
  { name: "top2", type: "number", description: "second largest |activation|, mean over sequences" },
  { name: "top3", type: "number", description: "third largest |activation|, mean over sequences" },
  {
    name: "median",
    type: "number",
    description:
      "median |activation| over tokens × dims (lower median, as torch.median), mean over sequences",
  },
  { name: "ratio", type: "number", description: "top1 / median of the two columns" },
  {
    name: "massive_sequences",
    type: "integer",
    description: "sequences with at least one massive activation (|x| > absolute and > ratio × median)",
  },
  {
    name: "massive_entries",
    type: "number",
    description: "massive activations per sequence, mean over sequences",
  },
  { name: "massive", type: "boolean", description: "massive_sequences > 0" },
];

/** `massive_locations.csv`: one row per site (layer, dimension, first token or token id). */
export const LOCATION_COLUMNS: CsvSchema = [
  { name: "layer", type: "integer", description: "decoder block, 0-based" },
  { name: "dimension", type: "integer", description: "hidden dimension (channel)" },
  {
    name: "position",
    type: "integer",
    nullable: true,
    description: "token position when the same in every sequence (0 = first token), else empty",
  },
  { name: "positions", type: "string", description: "distinct positions seen, ';'-separated" },
  {
    name: "token_id",
    type: "integer",
    nullable: true,
    description: "token id when the same in every sequence",
  },
  {
    name: "token",
    type: "string",
    description:
      "token text as a JSON string (<bos>, <eos>, or <token ID> when it decodes to nothing), or the distinct tokens",
  },
  {
    name: "mean",
    type: "number",
    description: "signed value, mean over the sequences where the site is present",
  },
  {
    name: "std",
    type: "number",
    description: "population standard deviation of the value across those sequences",
  },
  { name: "cv", type: "number", nullable: true, description: "std / |mean| (empty when the mean is 0)" },
  {
    name: "sequences",
    type: "integer",
    description: "sequences where the site is among the top-3 or massive activations of its layer",
  },
  {
    name: "massive_sequences",
    type: "integer",
    description: "sequences where it meets the massive criterion",
  },
];

/** `intervention.csv`: one row per (corpus, setting). */
export const INTERVENTION_COLUMNS: CsvSchema = [
  { name: "setting", type: "string", description: "original | zero | mean" },
  { name: "corpus", type: "string", description: "perplexity corpus" },
  {
    name: "layer",
    type: "integer",
    nullable: true,
    description: "decoder block after which massive activations are set (empty for original)",
  },
  { name: "ppl", type: "number", description: "exp(mean token NLL) over the windows" },
  { name: "mean_nll", type: "number", description: "mean token NLL in nats" },
  { name: "n_tokens", type: "integer", description: "scored tokens (seq-len − 1 per window)" },
  { name: "n_windows", type: "integer", description: "non-overlapping windows of seq-len tokens scored" },
  { name: "n_replaced", type: "integer", description: "hidden-state entries the intervention changed" },
];

/** `massive_features.csv`: one row per (token, dimension) of one prompt's hidden state after one layer. */
export const FEATURE_COLUMNS: CsvSchema = [
  { name: "layer", type: "integer", description: "decoder block whose output is shown, 0-based" },
  {
    name: "position",
    type: "integer",
    description: "token position in the prompt (no BOS, as the reference)",
  },
  { name: "token", type: "string", description: "token text as a JSON string (see massive_locations.csv)" },
  { name: "dimension", type: "integer", description: "hidden dimension (feature)" },
  { name: "value", type: "number", description: "signed activation" },
  { name: "magnitude", type: "number", description: "|value|" },
  {
    name: "massive",
    type: "boolean",
    description: "|value| > absolute and > ratio × the median |activation| of this hidden state",
  },
  { name: "top", type: "boolean", description: "among the 3 largest magnitudes of this hidden state" },
];

/** `attention_mass.csv`: one row per (layer, query head). */
export const ATTENTION_COLUMNS: CsvSchema = [
  { name: "layer", type: "integer", description: "decoder block, 0-based" },
  { name: "head", type: "integer", description: "query head, 0-based" },
  {
    name: "mass",
    type: "number",
    description:
      "attention probability on the token set, summed over its tokens, mean over query positions and sequences",
  },
  {
    name: "first_token_mass",
    type: "number",
    description: "the same for position 0 alone",
  },
  { name: "tokens", type: "number", description: "tokens in the set per sequence, mean over sequences" },
  {
    name: "token_set",
    type: "string",
    description:
      "massive: positions holding a massive activation in any layer; largest: the position of the largest |activation| (no massive activation anywhere)",
  },
];

/** Rows of `massive_features.csv`; `label` turns token ids into text. */
export function featureRows(
  layer: number,
  entries: readonly FeatureEntry[],
  label: (id: number) => string,
): CsvRow[] {
  return entries.map((e) => ({
    layer,
    position: e.position,
    token: label(e.tokenId),
    dimension: e.dimension,
    value: e.value,
    magnitude: Math.abs(e.value),
    massive: e.massive,
    top: e.top,
  }));
}

/** Rows of `attention_mass.csv`. */
export function attentionRows(rows: readonly AttentionMassRow[]): CsvRow[] {
  return rows.map((r) => ({
    layer: r.layer,
    head: r.head,
    mass: r.mass,
    first_token_mass: r.firstTokenMass,
    tokens: r.tokens,
    token_set: r.tokenSet,
  }));
}

/** A token id as text for the CSV: the decoded text as a JSON string, <bos>/<eos>, or <token ID> if empty. */
export function tokenLabel(
  tokenizer: Pick<Tokenizer, "decode" | "bosTokenId" | "eosTokenId">,
  id: number,
): string {
  if (id === tokenizer.bosTokenId) return "<bos>";
  if (id === tokenizer.eosTokenId) return "<eos>";
  const text = tokenizer.decode([id]);
  // A lone SentencePiece "▁" (or another special token) decodes to nothing: name it by id instead.
  return text === "" ? `<token ${id}>` : JSON.stringify(text);
}

/** Rows of `massive.csv`. */
export function massiveRows(layers: readonly LayerSummary[]): CsvRow[] {
  return layers.map((l) => ({
    layer: l.layer,
    top1: l.top1,
    top2: l.top2,
    top3: l.top3,
    median: l.median,
    ratio: l.ratio,
    massive_sequences: l.massiveSequences,
    massive_entries: l.massiveEntries,
    massive: l.massiveSequences > 0,
  }));
}

/** Rows of `massive_locations.csv`; `label` turns token ids into text. */
export function locationRows(sites: readonly LocationSummary[], label: (id: number) => string): CsvRow[] {
  return sites.map((s) => {
    const shown = s.tokenIds.slice(0, 5).map(label).join(" | ");
    const more = s.tokenIds.length > 5 ? " | ..." : "";
    return {
      layer: s.layer,
      dimension: s.dimension,
      position: s.position,
      positions: s.positions.join(";"),
      token_id: s.tokenId,
      token: s.tokenIds.length === 1 ? shown : `${s.tokenIds.length} tokens: ${shown}${more}`,
      mean: s.mean,
      std: s.std,
      cv: s.cv,
      sequences: s.sequences,
      massive_sequences: s.massiveSequences,
    };
  });
}

/** Rows of `intervention.csv` for one corpus. */
export function interventionRows(
  corpus: string,
  layer: number | null,
  results: readonly SettingPerplexity[],
): CsvRow[] {
  return results.map((r) => ({
    setting: r.setting,
    corpus,
    layer: r.setting === "original" ? null : layer,
    ppl: r.result.ppl,
    mean_nll: r.result.meanNll,
    n_tokens: r.result.tokens,
    n_windows: r.result.windows,
    n_replaced: r.replaced,
  }));
}
