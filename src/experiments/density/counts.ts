/**
 * Per-layer activated-parameter counts N_i for the activation allocation: read from a density run directory
 * (`density.csv` of `deno task density`: one row per dataset, layer and module with the count `active` of
 * parameters whose mean attribution exceeds γ; N_i is the sum of `active` over the layer's seven modules), or
 * computed now with the density experiment's code.
 */
import { join } from "node:path";
import type { LoadOptions, TokenEncoder } from "../../data/mod.ts";
import { type LlamaModel, LlamaRunner, type LlamaRunOptions } from "../../model/llama/mod.ts";
import { LINEAR_MODULES, linearWeightName } from "../../model/llama_config.ts";
import { parseCsvTable, tableRecords } from "../../results/csv.ts";
import { ActpatError } from "../../util/errors.ts";
import { activationSamples, type DatasetSamples } from "../activation/mod.ts";
import { activationSums, countMeansAbove, meanQuantile } from "./density.ts";
import type { GammaSpec } from "./gamma.ts";

/** Counts of one dataset, with where they came from. */
export interface DensityCounts {
  file: string;
  dataset: string;
  gamma: string | null;
  /** N_i per layer. */
  counts: number[];
  /** Set when computed now: the samples used and the γ value a quantile resolved to. */
  computed?: { samples: DatasetSamples; gammaValue: number };
}

/**
 * Reads N_i from `<runDir>/density.csv` for `dataset` (default: the only dataset in the file, or
 * `preferred` when it is one of several). Every layer 0..numLayers-1 must be present.
 */
export async function readDensityCounts(
  runDir: string,
  options: { numLayers: number; dataset?: string; preferred?: string },
): Promise<DensityCounts> {
  const file = join(runDir, "density.csv");
  const action = `read activated-parameter counts from ${file}`;
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (err) {
    throw new ActpatError(action, err instanceof Deno.errors.NotFound ? "no such file" : String(err));
  }
  const table = parseCsvTable(text, file);
  for (const column of ["dataset", "layer", "active"]) {
    if (!table.header.includes(column)) throw new ActpatError(action, `no column "${column}"`);
  }
  const rows = tableRecords(table);
  const datasets = [...new Set(rows.map((r) => r.dataset))];
  let dataset = options.dataset;
  if (dataset === undefined) {
    if (datasets.length === 1) dataset = datasets[0];
    else if (options.preferred !== undefined && datasets.includes(options.preferred)) {
      dataset = options.preferred;
    } else {
      throw new ActpatError(
        action,
        `it holds datasets ${datasets.join(", ")}: choose one (--density-dataset)`,
      );
    }
  }
  if (!datasets.includes(dataset)) {
    throw new ActpatError(
      action,
      `no rows for dataset "${dataset}" (it has ${datasets.join(", ") || "none"})`,
    );
  }
  const mine = rows.filter((r) => r.dataset === dataset);
  const gammas = [...new Set(mine.map((r) => r.gamma))];
  if (gammas.length > 1) {
    throw new ActpatError(action, `dataset "${dataset}" has rows for several gammas (${gammas.join(", ")})`);
  }
  // A per-layer total row (module "all"), if the file has one, is the same sum; use the module rows only.
  const moduleRows = mine.filter((r) => r.module !== "all");
  const counts = new Array<number>(options.numLayers).fill(NaN);
  for (const r of moduleRows) {
    const layer = Number(r.layer);
    const active = Number(r.active);
    if (!Number.isInteger(layer) || layer < 0 || layer >= options.numLayers) {
      throw new ActpatError(action, `layer "${r.layer}" is outside [0, ${options.numLayers})`);
    }
    if (!Number.isFinite(active) || active < 0) {
      throw new ActpatError(action, `active "${r.active}" is not a count`);
    }
    counts[layer] = (Number.isNaN(counts[layer]) ? 0 : counts[layer]) + active;
  }
  const missing = counts.findIndex((c) => Number.isNaN(c));
  if (missing >= 0) throw new ActpatError(action, `no rows for layer ${missing} of dataset "${dataset}"`);
  return { file, dataset, gamma: gammas[0] === "" ? null : gammas[0], counts };
}

/** Options of {@link computeDensityCounts}. */
export interface ComputeDensityOptions {
  dataset: string;
  /** Split to draw from (default: the paper's, as the density experiment). */
  split?: string;
  /** Samples N (the paper: 64). */
  samples: number;
  /** Window length of corpus samples (the paper: 256). */
  maxLen: number;
  /** Absolute γ or a quantile of the model's own mean activations (`q0.99`). */
  gamma: GammaSpec;
  seed: number;
  batchSize: number;
  run?: LlamaRunOptions;
  load?: LoadOptions;
}

/**
 * N_i computed now, as the density experiment does (src/experiments/density/density.ts): the mean over `samples`
 * inputs of |W ⊙ ∂y/∂W| for every linear weight, counted above γ per layer. All layers are scored in one
 * graph, so the sums take one float32 per linear weight; for a large model run `deno task density` with
 * `--layer-group` instead and pass its run directory.
 */
export async function computeDensityCounts(
  model: LlamaModel & { tokenizer: TokenEncoder },
  options: ComputeDensityOptions,
): Promise<DensityCounts> {
  const { gamma } = options;
  const samples = await activationSamples(options.dataset, {
    count: options.samples,
    seed: options.seed,
    maxLen: options.maxLen,
    tokenizer: model.tokenizer,
    split: options.split,
    load: options.load,
  });
  const L = model.config.numLayers;
  const layers = Array.from({ length: L }, (_, l) => l);
  const runner = new LlamaRunner(model, options.run ?? {});
  let sums: Map<string, Float32Array | Float64Array>;
  try {
    sums = await activationSums(runner, samples.samples.map((s) => s.tokens), {
      layers,
      batchSize: options.batchSize,
    });
  } finally {
    await runner.release();
  }
  const N = samples.samples.length;
  const gammaValue = gamma.kind === "absolute"
    ? gamma.value
    : meanQuantile([...sums.values()].map((s) => ({ sums: s, samples: N })), gamma.p);
  const counts = layers.map((l) =>
    LINEAR_MODULES.reduce(
      (acc, m) => acc + countMeansAbove(sums.get(linearWeightName(l, m))!, N, gammaValue),
      0,
    )
  );
  return {
    file: "(computed)",
    dataset: options.dataset,
    gamma: gamma.text,
    counts,
    computed: { samples, gammaValue },
  };
}
