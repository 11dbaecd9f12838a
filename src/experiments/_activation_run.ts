/**
 * What the density, similarity and relevance runs share: the model record, loading dataset samples (skipping
 * unavailable datasets with a printed line and a manifest note), layer groups, and the memory budget.
 */
import { contentHash } from "../results/content_hash.ts";
import type { RunDir } from "../results/run_dir.ts";
import { LINEAR_MODULES, linearShape, type LlamaConfig } from "../model/llama_config.ts";
import type { WeightStore } from "../model/weights.ts";
import type { ComputeDType } from "../model/llama/_weights.ts";
import { ActpatError } from "../util/errors.ts";
import { activationSamples, type DatasetSamples, type SampleOptions } from "./activation_samples.ts";
import type { MemoryReport } from "./peak_memory.ts";

/** A dataset left out of a run, and why. */
export interface SkippedDataset {
  dataset: string;
  reason: string;
}

/**
 * Samples of every named dataset. One whose split cannot be had (not in the mirror or cache, download failed)
 * is skipped: `skip <name>: <reason>` goes to stderr and the run's manifest config lists it under `skipped`.
 * Bad names, splits, counts and damaged files are errors, not skips.
 */
export async function loadSamplesOrSkip(
  run: RunDir,
  requests: readonly { dataset: string; count: number }[],
  options: Omit<SampleOptions, "count" | "split"> & {
    splits?: Readonly<Record<string, string>>;
    quiet?: boolean;
  },
): Promise<{ samples: Map<string, DatasetSamples>; skipped: SkippedDataset[] }> {
  const samples = new Map<string, DatasetSamples>();
  const skipped: SkippedDataset[] = [];
  for (const { dataset, count } of requests) {
    try {
      const got = await activationSamples(dataset, { ...options, count, split: options.splits?.[dataset] });
      samples.set(dataset, got);
      for (const r of got.records) await run.recordDataset(r);
    } catch (err) {
      // Only a split that cannot be had is skipped; a damaged or malformed file stays an error.
      if (
        !(err instanceof ActpatError) || !/^Cannot load dataset .* is not in the mirror/.test(err.message)
      ) throw err;
      skipped.push({ dataset, reason: err.message });
      if (!options.quiet) {
        console.error(`skip ${dataset}: ${err.message} (--split ${dataset}=SPLIT picks another split)`);
      }
    }
  }
  // Token lengths drive time and memory (prompts are not truncated, as in the paper): recorded per dataset.
  const sampleTokens = Object.fromEntries(
    [...samples].map(([name, d]) => {
      const lengths = d.samples.map((s) => s.tokens.length).sort((a, b) => a - b);
      return [name, {
        min: lengths[0],
        median: lengths[lengths.length >> 1],
        max: lengths[lengths.length - 1],
      }];
    }),
  );
  run.manifest.config = { ...run.manifest.config, skipped, sampleTokens };
  await run.save();
  return { samples, skipped };
}

/** Consecutive groups of `size` layers out of `layers` (the last may be smaller); all at once when undefined. */
export function layerGroups(layers: readonly number[], size: number | undefined): number[][] {
  const k = size ?? layers.length;
  if (!Number.isInteger(k) || k < 1) {
    throw new ActpatError("group layers", `group size ${size} is not a positive integer`);
  }
  const out: number[][] = [];
  for (let i = 0; i < layers.length; i += k) out.push(layers.slice(i, i + k));
  return out;
}

/** `a-b` (or `a`) naming a group of consecutive layers in stage and file names. */
export function groupLabel(layers: readonly number[]): string {
  return layers.length === 1 ? `${layers[0]}` : `${layers[0]}-${layers[layers.length - 1]}`;
}

/** Parameters of the 7 linear weights of one decoder layer. */
export function layerLinearParams(config: LlamaConfig): number {
  return LINEAR_MODULES.reduce((s, m) => s + linearShape(config, m).reduce((a, b) => a * b, 1), 0);
}

const COMPUTE_BYTES: Record<ComputeDType, number> = { float32: 4, float16: 2, float64: 8 };

/**
 * The memory bound: 1.5 × (every weight in the compute dtype + one accumulator for the layers scored
 * at once), the accumulator float32 (float64 for float64 runs). Returns the parts and the bound in bytes.
 */
export function memoryBudget(
  config: LlamaConfig,
  store: WeightStore,
  dtype: ComputeDType,
  scoredLayers: number,
): { weightsBytes: number; accumulatorBytes: number; budgetBytes: number } {
  let params = 0;
  for (const name of store.names()) params += store.get(name).shape.reduce((a, b) => a * b, 1);
  const weightsBytes = params * COMPUTE_BYTES[dtype];
  const accumulatorBytes = scoredLayers * layerLinearParams(config) * (dtype === "float64" ? 8 : 4);
  return { weightsBytes, accumulatorBytes, budgetBytes: 1.5 * (weightsBytes + accumulatorBytes) };
}

/** Manifest measurements: wall time, peak memory and the budget it is held to. */
export function measurements(
  report: MemoryReport,
  budget: ReturnType<typeof memoryBudget>,
  wallSeconds: number,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const peak = report.hwmRssBytes ?? report.sampledPeakRssBytes;
  return {
    wallSeconds,
    peakRssBytes: peak,
    peakRssSource: report.hwmRssBytes === null
      ? "sampled Deno.memoryUsage().rss"
      : "VmHWM (/proc/self/status)",
    ...report,
    ...budget,
    withinBudget: peak <= budget.budgetBytes,
    ...extra,
  };
}

/** Content hash of sample token sequences (stage inputs). */
export function samplesHash(samples: readonly { dataset: string; id: string; tokens: number[] }[]): string {
  return contentHash(samples.map((s) => [s.dataset, s.id, Int32Array.from(s.tokens)]));
}
