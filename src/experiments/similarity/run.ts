/**
 * `deno task similarity` (and the similarity part of `deno task relevance`): per dataset pair a:b, N pairs
 * of inputs, their similarity at every layer → `similarity.csv`, `similarity_summary.csv`.
 *
 * Pairs: as llm_test_grad.py draws them (src/data/paper_runs.ts `paperSimilarityDraws`): per pair a:b,
 * Python's `random` seeded with the run's seed, N examples of a, then N of b continuing the same generator;
 * pair i is (`data1[i]`, `data2[i]`). For a:a the second draw continues the first, so the two lists differ
 * but may share an example (as in the paper, an input may rarely be paired with itself).
 */
import type { LoadedModel } from "../../model/load_model.ts";
import { LlamaRunner } from "../../model/llama/llama_runner.ts";
import { contentHash } from "../../results/content_hash.ts";
import type { CsvRow } from "../../results/csv.ts";
import { type RunDir, runStage } from "../../results/run_dir.ts";
import { PythonRandom } from "../../data/mod.ts";
import { ActpatError, UsageError } from "../../util/errors.ts";
import { PeakMemory } from "../../util/peak_memory.ts";
import { progress } from "../../util/progress.ts";
import {
  type ActivationSample,
  activationSamples,
  contextReport,
  groupLabel,
  isUnavailable,
  layerGroups,
  measurements,
  memoryBudget,
  samplesHash,
} from "../activation/mod.ts";
import { experimentRun, type RunOptions } from "../experiment_run.ts";
import {
  pairSimilarities,
  SIMILARITY_COLUMNS,
  SIMILARITY_SUMMARY_COLUMNS,
  similaritySummary,
} from "./similarity.ts";

/** Settings shared by the similarity and relevance runs. */
export interface PairRunSettings extends Pick<RunOptions, "engine" | "quiet" | "load"> {
  samples: number;
  maxLen: number;
  shots: number;
  seed: number;
  /** Pairs per graph run. */
  batchSize: number;
  /** Layers per graph (default: all). */
  layerGroup?: number;
  splits?: Readonly<Record<string, string>>;
}

/** The similarities of one dataset pair: per pair its inputs' ids and values[pair][layer]. */
export interface PairSimilarities {
  datasetA: string;
  datasetB: string;
  idsA: string[];
  idsB: string[];
  layers: number[];
  values: Float64Array[];
}

/** Parses `a:b,c:d` into dataset pairs. */
export function parsePairs(text: string): [string, string][] {
  const pairs = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (pairs.length === 0) {
    throw new UsageError("parse --pairs", "no pair given (e.g. boolq:boolq,boolq:humaneval)");
  }
  return pairs.map((p) => {
    const parts = p.split(":").map((s) => s.trim());
    if (parts.length !== 2 || parts.some((s) => s === "")) {
      throw new UsageError("parse --pairs", `"${p}" is not of the form dataset_a:dataset_b`);
    }
    return [parts[0], parts[1]];
  });
}

/**
 * Computes the similarities of every dataset pair inside a run directory (one stage per pair and layer
 * group); pairs with a dataset that could not be loaded are skipped (printed, listed in the manifest).
 */
export async function computePairSimilarities(
  run: RunDir,
  model: LoadedModel,
  pairs: readonly (readonly [string, string])[],
  settings: PairRunSettings,
  mem?: PeakMemory,
): Promise<PairSimilarities[]> {
  const N = settings.samples;
  const drawn = new Map<string, [ActivationSample[], ActivationSample[]]>();
  const options = {
    seed: settings.seed,
    count: N,
    shots: settings.shots,
    maxLen: settings.maxLen,
    tokenizer: model.tokenizer,
    load: settings.load,
  };
  for (const [a, b] of pairs) {
    const rng = new PythonRandom(settings.seed);
    try {
      const first = await activationSamples(a, { ...options, split: settings.splits?.[a], rng });
      const after = [`${a}/${first.split}×${N}`];
      const second = await activationSamples(b, { ...options, split: settings.splits?.[b], rng, after });
      for (const r of [...first.records, ...second.records]) await run.recordDataset(r);
      drawn.set(`${a}:${b}`, [first.samples, second.samples]);
    } catch (err) {
      if (!isUnavailable(err)) throw err;
    }
  }
  const usable = pairs.filter(([a, b]) => drawn.has(`${a}:${b}`));
  const skippedPairs = pairs.filter((p) => !usable.includes(p)).map(([a, b]) => `${a}:${b}`);
  if (skippedPairs.length > 0) {
    if (!settings.quiet) {
      console.error(`skip pairs ${skippedPairs.join(", ")}: a dataset could not be loaded`);
    }
    run.manifest.config = { ...run.manifest.config, skippedPairs };
    await run.save();
  }
  if (usable.length === 0) {
    throw new ActpatError(`run ${run.manifest.command}`, "no dataset pair could be loaded");
  }
  const sides = usable.map(([a, b]) => drawn.get(`${a}:${b}`)!);
  // Every drawn input per dataset, for the manifest's record of inputs beyond the model's context.
  const byDataset = new Map<string, { samples: ActivationSample[] }>();
  usable.forEach(([a, b], i) => {
    for (const [name, list] of [[a, sides[i][0]], [b, sides[i][1]]] as const) {
      const entry = byDataset.get(name) ?? { samples: [] };
      entry.samples.push(...list);
      byDataset.set(name, entry);
    }
  });
  const context = contextReport(byDataset, model.config.maxPositionEmbeddings, settings.quiet);
  run.manifest.config = { ...run.manifest.config, context };
  await run.save();
  const layersAll = Array.from({ length: model.config.numLayers }, (_, l) => l);
  const groups = layerGroups(layersAll, settings.layerGroup);
  const results: PairSimilarities[] = usable.map(([a, b], k) => ({
    datasetA: a,
    datasetB: b,
    idsA: sides[k][0].map((s) => s.id),
    idsB: sides[k][1].map((s) => s.id),
    layers: layersAll,
    values: sides[k][0].map(() => new Float64Array(layersAll.length)),
  }));
  for (const group of groups) {
    const runner = new LlamaRunner(model, settings.engine);
    try {
      for (const [k, [a, b]] of usable.entries()) {
        const [sa, sb] = sides[k];
        const inputs = {
          model: model.files.map((f) => f.sha256),
          a: samplesHash(sa),
          b: samplesHash(sb),
          layers: group,
          batchSize: settings.batchSize,
          engine: { ep: settings.engine.ep, dtype: settings.engine.dtype },
        };
        const stage = `similarity.${a}.${b}.layers${groupLabel(group)}`;
        const values = await runStage(run, stage, contentHash(inputs), async () => {
          const bar = progress(`similarity ${a}:${b} layers ${groupLabel(group)}`, sa.length, {
            unit: "pairs",
            quiet: settings.quiet,
          });
          const sims = await pairSimilarities(runner, sa.map((s, i) => [s.tokens, sb[i].tokens] as const), {
            layers: group,
            batchSize: settings.batchSize,
            onBatch: (n) => {
              mem?.sample();
              bar.tick(n);
            },
          });
          bar.done();
          return sims.map((s) => Array.from(s));
        });
        values.forEach((v, p) => group.forEach((l, i) => results[k].values[p][l] = v[i]));
      }
    } finally {
      await runner.release();
    }
  }
  return results;
}

/** Writes similarity.csv and similarity_summary.csv for the given results. */
export async function writeSimilarityTables(
  run: RunDir,
  results: readonly PairSimilarities[],
): Promise<void> {
  const rows: CsvRow[] = [];
  const summary: CsvRow[] = [];
  for (const r of results) {
    r.values.forEach((v, pair) =>
      r.layers.forEach((layer, i) =>
        rows.push({
          dataset_a: r.datasetA,
          dataset_b: r.datasetB,
          pair,
          example_a: r.idsA[pair],
          example_b: r.idsB[pair],
          layer,
          similarity: v[i],
        })
      )
    );
    summary.push(...similaritySummary(r.datasetA, r.datasetB, r.layers, r.values));
  }
  await run.writeCsv(
    "similarity.csv",
    SIMILARITY_COLUMNS,
    rows,
    "similarity of each input pair at each layer",
  );
  await run.writeCsv(
    "similarity_summary.csv",
    SIMILARITY_SUMMARY_COLUMNS,
    summary,
    "per dataset pair and layer: mean, std, quartiles of the pair similarities",
  );
}

/** Options of {@link runSimilarity}. */
export interface SimilarityRunOptions extends PairRunSettings, RunOptions {
  pairs: readonly (readonly [string, string])[];
}

/** Runs the similarity experiment and writes its run directory. */
export async function runSimilarity(
  opts: SimilarityRunOptions,
): Promise<{ dir: string; results: PairSimilarities[] }> {
  return await withPairRun(
    "similarity",
    opts,
    { pairs: opts.pairs.map(([a, b]) => `${a}:${b}`) },
    async (run, model, mem) => {
      const results = await computePairSimilarities(run, model, opts.pairs, opts, mem);
      await writeSimilarityTables(run, results);
      return { dir: run.path, results };
    },
  );
}

/**
 * Shared frame of the similarity and relevance runs: run directory with the config, model loading and record,
 * peak memory and wall time in the manifest's measurements.
 */
export async function withPairRun<T>(
  command: string,
  opts: PairRunSettings & RunOptions,
  extraConfig: Record<string, unknown>,
  fn: (run: RunDir, model: LoadedModel, mem: PeakMemory) => Promise<T>,
): Promise<T> {
  const config = {
    model: opts.model,
    tokenizer: opts.tokenizer ?? null,
    ...extraConfig,
    samples: opts.samples,
    maxLen: opts.maxLen,
    shots: opts.shots,
    seed: opts.seed,
    batchSize: opts.batchSize,
    layerGroup: opts.layerGroup ?? null,
    splits: opts.splits ?? {},
    dtype: opts.engine.dtype,
    threads: opts.engine.threads ?? null,
  };
  return await experimentRun({ ...opts, command, config, seed: opts.seed }, async ({ run, model }) => {
    const t0 = performance.now();
    const mem = new PeakMemory();
    try {
      return await fn(run, model, mem);
    } finally {
      const report = mem.stop();
      const scored = opts.layerGroup ?? model.config.numLayers;
      const budget = memoryBudget(
        model.config,
        model.weights,
        opts.engine.dtype,
        Math.min(scored, model.config.numLayers),
      );
      run.manifest.measurements = measurements(report, budget, (performance.now() - t0) / 1000, {
        layerGroup: opts.layerGroup ?? null,
        batchSize: opts.batchSize,
        budgetNote:
          "the accumulator term counts one [out, in] float32 tensor per scored weight: the size of " +
          "the in-graph v = W ⊙ ∂y/∂W of the group's layers",
      });
      await run.save();
    }
  });
}
