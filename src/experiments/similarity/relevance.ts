/**
 * Dataset relevance (paper finding 3): the dataset × dataset matrix of the mean similarity in the deep layers.
 * llm_test_grad.py @93503116 pools the similarities of all pairs over layers `range(L // 2, L - 2)` and prints
 * their mean and std ("llmdcos"); that is the default layer range here (the last half without the last two
 * layers), falling back to the last half `[L // 2, L)` when that range is empty (L < 5).
 */
import type { CsvRow } from "../../results/csv.ts";
import { ActpatError, UsageError } from "../../util/errors.ts";
import { mean, std } from "../stats/summary.ts";
import { type LayerRangeSpec, rangeLayers, resolveLayerRange } from "../layer_ranges.ts";
import {
  computePairSimilarities,
  type PairRunSettings,
  type PairSimilarities,
  withPairRun,
  writeSimilarityTables,
} from "./run.ts";
import type { RunOptions } from "../experiment_run.ts";

/** The paper's deep layers of an L-layer model (see the module doc). */
export function defaultRelevanceLayers(numLayers: number): number[] {
  const from = Math.floor(numLayers / 2);
  const to = numLayers - 2 > from ? numLayers - 2 : numLayers;
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/** Every unordered pair of `datasets`, the diagonal included, in matrix order. */
export function relevancePairs(datasets: readonly string[]): [string, string][] {
  if (new Set(datasets).size !== datasets.length) {
    throw new UsageError("parse --datasets", `a dataset is listed twice in ${datasets.join(",")}`);
  }
  const out: [string, string][] = [];
  datasets.forEach((a, i) => datasets.slice(i).forEach((b) => out.push([a, b])));
  return out;
}

/** Columns of `relevance.csv`. */
export const RELEVANCE_COLUMNS = [
  { name: "dataset_a", type: "string", description: "row dataset" },
  {
    name: "dataset_b",
    type: "string",
    description: "column dataset (the matrix is symmetric: both orders are written)",
  },
  {
    name: "layers",
    type: "string",
    description: "layer range a-b (inclusive, 0-based) the similarities are pooled over",
  },
  {
    name: "mean_similarity",
    type: "number",
    description: "mean similarity over all pairs and layers in the range",
  },
  { name: "std", type: "number", description: "sample standard deviation of the same values (ddof 1)" },
  { name: "n", type: "integer", description: "values pooled: pairs × layers" },
] as const;

/** The long-format relevance matrix from pair similarities, pooled over `layers`. */
export function relevanceRows(results: readonly PairSimilarities[], layers: readonly number[]): CsvRow[] {
  const label = layers.length === 1 ? `${layers[0]}` : `${layers[0]}-${layers[layers.length - 1]}`;
  const rows: CsvRow[] = [];
  for (const r of results) {
    const idx = layers.map((l) => {
      const i = r.layers.indexOf(l);
      if (i < 0) throw new ActpatError("compute relevance", `layer ${l} was not scored`);
      return i;
    });
    const pooled = Float64Array.from(r.values.flatMap((v) => idx.map((i) => v[i])));
    const cell = { layers: label, mean_similarity: mean(pooled), std: std(pooled), n: pooled.length };
    rows.push({ dataset_a: r.datasetA, dataset_b: r.datasetB, ...cell });
    if (r.datasetA !== r.datasetB) rows.push({ dataset_a: r.datasetB, dataset_b: r.datasetA, ...cell });
  }
  return rows;
}

/** Options of {@link runRelevance}. */
export interface RelevanceRunOptions extends PairRunSettings, RunOptions {
  datasets: readonly string[];
  /** The deep layers (`--layers`, one range); default {@link defaultRelevanceLayers}. */
  layers?: LayerRangeSpec;
}

/**
 * Runs the relevance experiment: similarities of every dataset pair (similarity.csv and its summary, as
 * `deno task similarity` writes them) and relevance.csv.
 */
export async function runRelevance(
  opts: RelevanceRunOptions,
): Promise<{ dir: string; layers: number[]; rows: CsvRow[] }> {
  const pairs = relevancePairs(opts.datasets);
  return await withPairRun(
    "relevance",
    opts,
    { datasets: [...opts.datasets], layers: opts.layers?.text ?? null },
    async (run, model, mem) => {
      const L = model.config.numLayers;
      const layers = opts.layers === undefined
        ? defaultRelevanceLayers(L)
        : rangeLayers(resolveLayerRange(opts.layers, L));
      run.manifest.config = { ...run.manifest.config, layersUsed: layers };
      const results = await computePairSimilarities(run, model, pairs, opts, mem);
      await writeSimilarityTables(run, results);
      const rows = relevanceRows(results, layers);
      await run.writeCsv(
        "relevance.csv",
        RELEVANCE_COLUMNS,
        rows,
        "dataset × dataset mean deep-layer similarity",
      );
      return { dir: run.path, layers, rows };
    },
  );
}
