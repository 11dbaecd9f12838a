/**
 * Density of activated parameters (paper finding 1, Figure 1): for each of the 7 linear weights of a decoder
 * layer, the mean over N samples of A(s, w) = |w ∂y(s)/∂w|, and the number of parameters whose mean exceeds γ.
 * The paper's code (distribution_draw.py @93503116) sums |grad ⊙ w| over samples, divides by N and counts
 * `vec > γ` per layer (strictly greater), with γ = 2e-6 for 32-layer models and 5e-6 otherwise.
 *
 * Mean A of parameter i is `sums[i] / N` in float64, where `sums` is the float32 (float64 for float64 runs)
 * sum of the per-batch sums from the activation-gradient graph. Every count, histogram and quantile compares
 * that one value, so counts from the histogram at an edge equal direct counts exactly.
 */
import { quantileInPlace } from "../stats/summary.ts";
import {
  LINEAR_MODULES,
  type LinearModule,
  linearShape,
  linearWeightName,
} from "../../model/llama_config.ts";
import type { LlamaConfig } from "../../model/llama_config.ts";
import type { LlamaRunner } from "../../model/llama/llama_runner.ts";
import { ActpatError } from "../../util/errors.ts";
import { collectGarbage } from "../../util/collect_garbage.ts";
import { addMeans, BIN_COUNT, countAbove, nearestEdgeQuantile } from "./histogram.ts";
import type { GammaSpec } from "./gamma.ts";

/**
 * Indices of `sequences` in canonical order: by length, then token by token. Summing in this order makes the
 * sums bit-identical whatever order the samples come in (and batches hold sequences of similar length).
 */
export function canonicalOrder(sequences: readonly (readonly number[])[]): number[] {
  const cmp = (a: readonly number[], b: readonly number[]) => {
    if (a.length !== b.length) return a.length - b.length;
    for (let t = 0; t < a.length; t++) if (a[t] !== b[t]) return a[t] - b[t];
    return 0;
  };
  return sequences.map((_, i) => i).sort((i, j) => cmp(sequences[i], sequences[j]));
}

/** Options of {@link activationSums}. */
export interface ActivationSumsOptions {
  /** Decoder layers whose 7 linears are scored (one graph; the others only run forward). */
  layers: readonly number[];
  /** Sequences per graph run. */
  batchSize: number;
  /** Called after each batch with the number of sequences done in it. */
  onBatch?: (done: number) => void;
}

/**
 * Σ over `sequences` of |W ⊙ ∂y/∂W| for every linear weight of `layers`, keyed by Hugging Face weight name,
 * [out × in] row-major. Batches are taken in {@link canonicalOrder}; each run adds its batch to the running sums
 * (float32 for float32/float16 compute) in-graph, which stay in device memory on a GPU provider, so memory is
 * the running sums plus one run's new ones.
 */
export async function activationSums(
  runner: LlamaRunner,
  sequences: readonly (readonly number[])[],
  options: ActivationSumsOptions,
): Promise<Map<string, Float32Array | Float64Array>> {
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new ActpatError("compute activation sums", `batch size ${batchSize} is not a positive integer`);
  }
  if (sequences.length === 0) throw new ActpatError("compute activation sums", "there are no samples");
  const order = canonicalOrder(sequences);
  const batches: (readonly number[])[][] = [];
  for (let start = 0; start < order.length; start += batchSize) {
    batches.push(order.slice(start, start + batchSize).map((i) => sequences[i]));
  }
  return await runner.densitySums(batches, {
    layers: options.layers,
    onBatch: (size) => {
      // The previous sums are dropped: free them before the next run makes its own.
      collectGarbage();
      options.onBatch?.(size);
    },
  });
}

/** One linear weight's density statistics for one dataset. */
export interface ModuleDensity {
  layer: number;
  module: LinearModule;
  params: number;
  /** Histogram of mean A over {@link BIN_COUNT} bins (histogram.ts). */
  histogram: Float64Array;
  /** #{mean A > γ} for the absolute γ asked for, else null. */
  active: number | null;
}

/** Histograms (and counts above an absolute `gamma`) of the mean activations `sums / samples` per linear. */
export function moduleDensities(
  config: LlamaConfig,
  sums: ReadonlyMap<string, Float32Array | Float64Array>,
  samples: number,
  layers: readonly number[],
  gamma?: number,
): ModuleDensity[] {
  const out: ModuleDensity[] = [];
  for (const layer of layers) {
    for (const module of LINEAR_MODULES) {
      const name = linearWeightName(layer, module);
      const s = sums.get(name);
      const [rows, cols] = linearShape(config, module);
      if (!s || s.length !== rows * cols) {
        throw new ActpatError("compute density", `no sums of ${rows * cols} values for ${name}`);
      }
      const histogram = new Float64Array(BIN_COUNT);
      const above = addMeans(histogram, s, samples, name, gamma);
      out.push({ layer, module, params: s.length, histogram, active: gamma === undefined ? null : above });
    }
  }
  return out;
}

/** #{sums[i] / samples > gamma}: the direct count, for thresholds known only after the sums (quantiles). */
export function countMeansAbove(sums: Float32Array | Float64Array, samples: number, gamma: number): number {
  let n = 0;
  for (let i = 0; i < sums.length; i++) if (sums[i] / samples > gamma) n++;
  return n;
}

/**
 * The p-quantile (type 7, numpy's default) of the mean activations of all given sum arrays, each with its
 * sample count: the model's own scale for a quantile γ. Holds all means as float64 at once.
 */
export function meanQuantile(
  pools: readonly { sums: Float32Array | Float64Array; samples: number }[],
  p: number,
): number {
  const n = pools.reduce((s, x) => s + x.sums.length, 0);
  const all = new Float64Array(n);
  let k = 0;
  for (const { sums, samples } of pools) {
    for (let i = 0; i < sums.length; i++) {
      // A NaN would be ordered arbitrarily by the selection: an upstream bug, named here as quantile() would.
      if (Number.isNaN(all[k++] = sums[i] / samples)) {
        throw new ActpatError("compute the γ quantile", `a mean activation is NaN (value ${k - 1})`);
      }
    }
  }
  return quantileInPlace(all, p);
}

/** How a count was obtained. */
export interface ActiveCount {
  active: number;
  /** Bounds: equal to `active` when exact. */
  low: number;
  high: number;
  exact: boolean;
}

/** A count taken from a histogram (exact when γ is a bin edge, else bounds and a log-uniform estimate). */
export function histogramCount(histogram: ArrayLike<number>, gamma: number): ActiveCount {
  const c = countAbove(histogram, gamma);
  return { active: c.estimate, low: c.lower, high: c.upper, exact: c.exact };
}

/** An exactly known count. */
export function exactCount(active: number): ActiveCount {
  return { active, low: active, high: active, exact: true };
}

/** Columns of `density.csv`. */
export const DENSITY_COLUMNS = [
  { name: "model", type: "string", description: "model reference as given (--model)" },
  { name: "dataset", type: "string", description: "dataset name" },
  { name: "layer", type: "integer", description: "decoder layer, 0-based" },
  {
    name: "module",
    type: "string",
    description:
      "linear weight (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj) or all (the layer)",
  },
  { name: "params", type: "integer", description: "parameters in the module (layer)" },
  {
    name: "active",
    type: "integer",
    description: "parameters whose mean A over the samples exceeds gamma (strictly)",
  },
  { name: "fraction", type: "number", description: "active / params" },
  { name: "gamma", type: "number", description: "threshold on mean A = mean over samples of |w dy/dw|" },
  {
    name: "gamma_spec",
    type: "string",
    description: "the --gamma asked for: a number, or q<p> for the p-quantile",
  },
  { name: "samples", type: "integer", description: "samples N averaged over" },
  { name: "seed", type: "integer", description: "sampling seed" },
  {
    name: "exact",
    type: "boolean",
    description: "false when active is estimated from the histogram (γ inside a bin)",
  },
  { name: "active_low", type: "integer", description: "lower bound of active (= active when exact)" },
  { name: "active_high", type: "integer", description: "upper bound of active (= active when exact)" },
] as const;

/** Columns of `density_histogram.csv` (bins with a zero count are left out). */
export const HISTOGRAM_COLUMNS = [
  { name: "dataset", type: "string", description: "dataset name" },
  { name: "layer", type: "integer", description: "decoder layer, 0-based" },
  { name: "module", type: "string", description: "linear weight" },
  { name: "bin", type: "integer", description: `bin index 0..${BIN_COUNT - 1} (histogram.ts)` },
  { name: "lower", type: "number", description: "values in the bin are > lower (bin 0: ≥ 0)" },
  { name: "upper", type: "number", description: "values in the bin are ≤ upper (last bin: Infinity)" },
  { name: "count", type: "integer", description: "parameters whose mean A falls in the bin" },
] as const;

/** One dataset's per-linear statistics, as a run or a run directory gives them. */
export interface DatasetDensity {
  dataset: string;
  samples: number;
  modules: readonly ModuleDensity[];
}

/** Reads back the kept sums of a dataset (all scored layers), keyed by weight name. */
export type SumsReader = (dataset: string) => Promise<ReadonlyMap<string, Float32Array | Float64Array>>;

/** One row of the density table before formatting. */
export interface DensityCount {
  dataset: string;
  samples: number;
  layer: number;
  module: LinearModule | "all";
  params: number;
  count: ActiveCount;
}

/**
 * Resolves γ and counts, per linear and per layer ("all"), for every dataset:
 *  - absolute γ: the exact counts taken during accumulation when present, else from the kept sums, else from
 *    the histogram (exact on an edge, bounds and an estimate inside a bin);
 *  - quantile γ: the p-quantile of the mean activations of all scored parameters of all datasets, pooled
 *    (so datasets stay comparable under one γ); exact from the kept sums, else the histogram edge whose
 *    fraction above is nearest 1 − p (counts then exact for that edge; `note` says so).
 */
export async function densityTable(
  datasets: readonly DatasetDensity[],
  gamma: GammaSpec,
  sums: SumsReader | null,
): Promise<{ gamma: number; note: string; counts: DensityCount[] }> {
  let value: number;
  let note: string;
  const kept = new Map<string, ReadonlyMap<string, Float32Array | Float64Array>>();
  const keptSums = async (dataset: string) => {
    let s = kept.get(dataset);
    if (!s) {
      s = await sums!(dataset);
      kept.set(dataset, s);
    }
    return s;
  };
  if (gamma.kind === "absolute") {
    value = gamma.value;
    note = `absolute γ = ${value}`;
  } else if (sums) {
    const pools = [];
    for (const d of datasets) {
      const s = await keptSums(d.dataset);
      for (const m of d.modules) {
        pools.push({ sums: s.get(linearWeightName(m.layer, m.module))!, samples: d.samples });
      }
    }
    value = meanQuantile(pools, gamma.p);
    note =
      `γ = exact ${gamma.p}-quantile (type 7) of the mean activations of all scored parameters of all datasets`;
  } else {
    const pooled = new Float64Array(BIN_COUNT);
    for (const d of datasets) for (const m of d.modules) m.histogram.forEach((c, k) => pooled[k] += c);
    const q = nearestEdgeQuantile(pooled, gamma.p);
    value = q.gamma;
    note = `γ = histogram edge nearest the ${gamma.p}-quantile of all datasets' mean activations ` +
      `(sums not kept): ${(100 * q.fractionAbove).toPrecision(4)} % of values are above it, ` +
      `${(100 * (1 - gamma.p)).toPrecision(4)} % asked`;
  }
  const counts: DensityCount[] = [];
  for (const d of datasets) {
    const layers = [...new Set(d.modules.map((m) => m.layer))].sort((a, b) => a - b);
    for (const layer of layers) {
      const mods = d.modules.filter((m) => m.layer === layer);
      const layerCounts: ActiveCount[] = [];
      for (const m of mods) {
        let count: ActiveCount;
        if (gamma.kind === "absolute" && m.active !== null) count = exactCount(m.active);
        else if (sums) {
          const s = (await keptSums(d.dataset)).get(linearWeightName(m.layer, m.module));
          if (!s) {
            throw new ActpatError(
              "count active parameters",
              `no kept sums of ${linearWeightName(m.layer, m.module)}`,
            );
          }
          count = exactCount(countMeansAbove(s, d.samples, value));
        } else count = histogramCount(m.histogram, value);
        layerCounts.push(count);
        counts.push({
          dataset: d.dataset,
          samples: d.samples,
          layer,
          module: m.module,
          params: m.params,
          count,
        });
      }
      const add = (f: (c: ActiveCount) => number) => layerCounts.reduce((s, c) => s + f(c), 0);
      counts.push({
        dataset: d.dataset,
        samples: d.samples,
        layer,
        module: "all",
        params: mods.reduce((s, m) => s + m.params, 0),
        count: {
          active: add((c) => c.active),
          low: add((c) => c.low),
          high: add((c) => c.high),
          exact: layerCounts.every((c) => c.exact),
        },
      });
    }
  }
  return { gamma: value, note, counts };
}
