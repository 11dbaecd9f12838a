/**
 * Similarity of the activation patterns of two inputs at a layer (paper finding 2, llm_test_grad.py
 * @93503116): v = W ⊙ ∂y/∂W over the concatenation of the layer's 7 linear weights, and
 * sim(a, b) = Σ|v_a v_b| / (‖v_a‖ ‖v_b‖). The graph gives per matrix Σ|v_a v_b|, Σv_a², Σv_b²; they are summed
 * over the 7 matrices in float64 (always in q,k,v,o,gate,up,down order) before dividing, and the norms are
 * taken as sqrt(Σv_a² · Σv_b²), so an input paired with itself gives exactly 1 (sqrt(x²) = x in IEEE
 * arithmetic) and sim(a, b) = sim(b, a) bit for bit.
 */
import { LINEAR_MODULES, linearWeightName } from "../../model/llama_config.ts";
import type { LlamaRunner } from "../../model/llama/llama_runner.ts";
import { ActpatError } from "../../util/errors.ts";
import { mean, quartiles, std } from "../stats/summary.ts";

/** Per-matrix sums of a pair: Σ|v_a v_b|, Σv_a², Σv_b². */
export interface PairSums {
  dot: number;
  aa: number;
  bb: number;
}

/** The layer similarity from its matrices' sums (summed in the given order, float64). */
export function layerSimilarity(matrices: readonly PairSums[], what = "a pair"): number {
  let dot = 0, aa = 0, bb = 0;
  for (const m of matrices) {
    dot += m.dot;
    aa += m.aa;
    bb += m.bb;
  }
  if (!(aa > 0 && bb > 0)) {
    throw new ActpatError("compute similarity", `v vanishes for ${what} (Σv_a² = ${aa}, Σv_b² = ${bb})`);
  }
  return dot / Math.sqrt(aa * bb);
}

/** Options of {@link pairSimilarities}. */
export interface PairSimilarityOptions {
  /** Decoder layers to score (one graph). */
  layers: readonly number[];
  /** Pairs per graph run (2 × this many sequences). */
  batchSize: number;
  /** Called after each batch with the number of pairs done in it. */
  onBatch?: (done: number) => void;
}

/** For every pair (a, b) of token sequences: its similarity at each of `layers` (same order). */
export async function pairSimilarities(
  runner: LlamaRunner,
  pairs: readonly (readonly [readonly number[], readonly number[]])[],
  options: PairSimilarityOptions,
): Promise<Float64Array[]> {
  const { batchSize, layers } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new ActpatError("compute similarities", `batch size ${batchSize} is not a positive integer`);
  }
  const out: Float64Array[] = [];
  for (let start = 0; start < pairs.length; start += batchSize) {
    const batch = pairs.slice(start, start + batchSize);
    const res = await runner.activationGradients(batch.flatMap(([a, b]) => [a, b]), {
      density: false,
      similarity: true,
      layers,
    });
    const stats = res.similarity!;
    batch.forEach((_, p) => {
      out.push(Float64Array.from(layers, (l) =>
        layerSimilarity(
          LINEAR_MODULES.map((m) => stats.get(linearWeightName(l, m))![p]),
          `pair ${start + p} at layer ${l}`,
        )));
    });
    options.onBatch?.(batch.length);
  }
  return out;
}

/** Columns of `similarity.csv`. */
export const SIMILARITY_COLUMNS = [
  { name: "dataset_a", type: "string", description: "dataset of the first input" },
  { name: "dataset_b", type: "string", description: "dataset of the second input" },
  { name: "pair", type: "integer", description: "pair index, 0-based" },
  {
    name: "example_a",
    type: "string",
    description: "id of the first input (row id, or doc:start / @start of a window)",
  },
  { name: "example_b", type: "string", description: "id of the second input" },
  { name: "layer", type: "integer", description: "decoder layer, 0-based" },
  {
    name: "similarity",
    type: "number",
    description: "Σ|v_a v_b| / (‖v_a‖ ‖v_b‖) over the layer's 7 linear weights",
  },
] as const;

/** Columns of `similarity_summary.csv`. */
export const SIMILARITY_SUMMARY_COLUMNS = [
  { name: "dataset_a", type: "string", description: "dataset of the first inputs" },
  { name: "dataset_b", type: "string", description: "dataset of the second inputs" },
  { name: "layer", type: "integer", description: "decoder layer, 0-based" },
  { name: "mean", type: "number", description: "mean similarity over the pairs" },
  { name: "std", type: "number", description: "sample standard deviation (ddof 1, torch.std as the paper)" },
  { name: "median", type: "number", description: "median (type-7 quantile)" },
  { name: "q1", type: "number", description: "first quartile (type 7, as the paper's seaborn boxplots)" },
  { name: "q3", type: "number", description: "third quartile (type 7)" },
  { name: "n", type: "integer", description: "pairs" },
] as const;

/** Summary rows (one per layer) of one dataset pair's similarities: values[pair][i] at layers[i]. */
export function similaritySummary(
  datasetA: string,
  datasetB: string,
  layers: readonly number[],
  values: readonly Float64Array[],
): Record<string, string | number>[] {
  return layers.map((layer, i) => {
    const v = Float64Array.from(values, (p) => p[i]);
    const q = quartiles(v);
    return {
      dataset_a: datasetA,
      dataset_b: datasetB,
      layer,
      mean: mean(v),
      std: std(v),
      median: q.median,
      q1: q.q1,
      q3: q.q3,
      n: v.length,
    };
  });
}
