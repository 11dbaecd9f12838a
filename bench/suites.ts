/**
 * One benchmark case: a model, a suite, an execution provider and compute dtype, over several sequence
 * lengths. Sessions are opened by the first (warm-up) call of each length and timed separately; the timed
 * pass then runs every window once. Results: a row per length, a fingerprint of the outputs (to compare
 * providers and dtypes), and for density the per-layer counts the PyTorch reference checks.
 */
import { LlamaRunner } from "../src/model/llama/llama_runner.ts";
import type { ComputeDType } from "../src/model/llama/_weights.ts";
import { LINEAR_MODULES, linearWeightName, type LlamaConfig } from "../src/model/llama_config.ts";
import type { WeightStore } from "../src/model/weights.ts";
import type { ExecutionProvider } from "../src/onnx/mod.ts";
import { progress } from "../src/util/progress.ts";
import {
  activationSums,
  countMeansAbove,
  type GammaSpec,
  meanQuantile,
} from "../src/experiments/density/mod.ts";
import { layerGroups } from "../src/experiments/activation/mod.ts";
import type { EngineOptions } from "../src/experiments/engine_options.ts";
import { linearParams, linearParamsPerLayer, type Suite, suiteFlops } from "./flops.ts";
import type { MemorySampler } from "./memory.ts";
import { benchWindows } from "./windows.ts";

/** A checkpoint to benchmark. */
export interface BenchModel {
  /** Short name in tables (e.g. `llama2-7b:2`). */
  label: string;
  /** Checkpoint folder (the PyTorch reference loads the same one). */
  dir: string;
  config: LlamaConfig;
  weights: WeightStore;
}

/** How a case runs. */
export interface CaseOptions {
  /** Execution provider, dtype, threads, TF32 and graph cache (false builds graphs in memory). */
  engine: EngineOptions;
  seqLens: readonly number[];
  /** Samples per call. */
  batch: number;
  /** Density: decoder layers scored per graph (default all), as `deno task density --layer-group`. */
  layerGroup?: number;
  /** Windows per sequence length (density: the N of the mean). */
  samples: number;
  seed: number;
  /**
   * Density thresholds (`--gamma`): absolute ones as given, quantiles of the mean activation as the density
   * experiment resolves them (from the first run of a model and length).
   */
  gammas: readonly GammaSpec[];
  sampler: MemorySampler;
  /** Names the device in rows (e.g. the CPU or GPU model). */
  device: string;
  quiet?: boolean;
}

/** One line of the benchmark table and CSV. */
export interface BenchRow {
  suite: Suite;
  model: string;
  layers: number;
  linear_params: number;
  ep: ExecutionProvider;
  dtype: ComputeDType;
  device: string;
  threads: number | "";
  seq_len: number;
  batch: number;
  samples: number;
  tokens: number;
  /** First call of the case (graph build or cache load, session creation, first run); "" when sessions existed. */
  setup_s: number | "";
  /** The untimed warm-up call of this length. */
  warmup_s: number;
  /** The timed pass over every window. */
  time_s: number;
  /** Of time_s, work in JavaScript after the graph runs (density: thresholds, counts and sums). */
  host_s: number;
  tokens_per_s: number;
  samples_per_s: number;
  /** Operations of the timed pass (bench/flops.ts). */
  gflop: number;
  tflop_per_s: number;
  peak_rss_gib: number;
  /** Peak used memory of GPU 0 minus its use before the benchmark started, MiB; "" without nvidia-smi. */
  peak_gpu_mib: number | "";
}

/** The density statistic of one run, as the PyTorch reference reads it. */
export interface DensityRecord {
  model: string;
  dir: string;
  ep: ExecutionProvider;
  dtype: ComputeDType;
  device: string;
  seq_len: number;
  samples: number;
  samples_per_s: number;
  /** Every window, in order (the mean is over all of them). */
  windows: number[][];
  gammas: number[];
  /** counts[layer][g]: parameters of the layer's 7 linears with mean activation > gammas[g]. */
  counts: number[][];
  params_per_layer: number;
  /** Per layer, Σ over its parameters of the mean activation. */
  layer_sums: number[];
  /** y of the first batch's windows (from the warm-up call). */
  y: number[];
}

/** A case's results. */
export interface CaseResult {
  rows: BenchRow[];
  /** Outputs of the first batch (density: its y, then the layer sums over every window), per sequence length. */
  fingerprints: Map<number, Float64Array>;
  density: DensityRecord[];
}

/** Runs `suite` for `model` at every length of `opts.seqLens`. `gammaMemo` shares thresholds across runs. */
export async function runCase(
  model: BenchModel,
  suite: Suite,
  opts: CaseOptions,
  gammaMemo: Map<string, number[]> = new Map(),
): Promise<CaseResult> {
  const { config } = model;
  const { engine } = opts;
  const runner = new LlamaRunner(model, engine);
  const result: CaseResult = { rows: [], fingerprints: new Map(), density: [] };
  const gpuBase = await opts.sampler.gpuNow();
  let first = true;
  try {
    for (const seqLen of opts.seqLens) {
      const windows = benchWindows(config, opts.samples, seqLen, opts.seed);
      const batches: number[][][] = [];
      for (let i = 0; i < windows.length; i += opts.batch) batches.push(windows.slice(i, i + opts.batch));
      await opts.sampler.reset();

      let t0 = performance.now();
      const groups = layerGroups(Array.from({ length: config.numLayers }, (_, l) => l), opts.layerGroup);
      const warm = await callSuite(runner, suite, batches[0], groups[0]);
      const warmup = (performance.now() - t0) / 1000;
      const setup = first ? warmup : "";
      first = false;

      const density = suite === "density";
      const passes = suite === "density" ? groups.length : 1;
      const bar = progress(
        `${suite} ${model.label} ${engine.ep}/${engine.dtype} T=${seqLen}`,
        windows.length * passes,
        {
          unit: "samples",
          quiet: opts.quiet,
        },
      );
      let host = 0;
      let fingerprint: Float64Array | undefined;
      t0 = performance.now();
      const sums = new Map<string, Float32Array | Float64Array>();
      if (density) {
        // The density experiment's own accumulation loop (src/experiments/density/density.ts), timed as a whole: one
        // pass over the windows per layer group.
        for (const layers of groups) {
          const part = await activationSums(runner, windows, {
            layers,
            batchSize: opts.batch,
            onBatch: (n) => bar.tick(n),
          });
          for (const [name, v] of part) sums.set(name, v);
        }
      } else {
        for (const batch of batches) {
          const out = await callSuite(runner, suite, batch, groups[0]);
          fingerprint ??= out.values;
          bar.tick(batch.length);
        }
      }
      let record: DensityRecord | undefined;
      if (density) {
        const h0 = performance.now();
        const N = windows.length;
        const key = `${model.label}@${seqLen}`;
        let gammas = gammaMemo.get(key);
        if (!gammas) {
          const pools = [...sums.values()].map((s) => ({ sums: s, samples: N }));
          gammas = opts.gammas.map((g) => g.kind === "absolute" ? g.value : meanQuantile(pools, g.p));
          gammaMemo.set(key, gammas);
        }
        const layerArrays = (l: number) => LINEAR_MODULES.map((m) => sums.get(linearWeightName(l, m))!);
        const layers = Array.from({ length: config.numLayers }, (_, l) => layerArrays(l));
        const counts = layers.map((arrays) =>
          gammas.map((g) => arrays.reduce((c, a) => c + countMeansAbove(a, N, g), 0))
        );
        const layerSums = layers.map((arrays) => arrays.reduce((s, a) => s + total(a), 0) / N);
        host += performance.now() - h0;
        fingerprint = Float64Array.from([...warm.values, ...layerSums]);
        record = {
          model: model.label,
          dir: model.dir,
          ep: engine.ep,
          dtype: engine.dtype,
          device: opts.device,
          seq_len: seqLen,
          samples: windows.length,
          samples_per_s: 0,
          windows,
          gammas,
          counts,
          params_per_layer: linearParamsPerLayer(config),
          layer_sums: layerSums,
          y: Array.from(warm.values),
        };
      }
      const time = (performance.now() - t0) / 1000;
      bar.done();
      const peaks = await opts.sampler.read();
      const tokens = windows.length * seqLen;
      const flops = batches.reduce((s, b) => s + suiteFlops(suite, config, b.length, seqLen), 0);
      const row: BenchRow = {
        suite,
        model: model.label,
        layers: config.numLayers,
        linear_params: linearParams(config),
        ep: engine.ep,
        dtype: engine.dtype,
        device: opts.device,
        threads: engine.ep === "cpu" ? engine.threads ?? "" : "",
        seq_len: seqLen,
        batch: opts.batch,
        samples: windows.length,
        tokens,
        setup_s: setup,
        warmup_s: warmup,
        time_s: time,
        host_s: host / 1000,
        tokens_per_s: tokens / time,
        samples_per_s: windows.length / time,
        gflop: flops / 1e9,
        tflop_per_s: flops / time / 1e12,
        peak_rss_gib: peaks.rssBytes / 2 ** 30,
        peak_gpu_mib: Number.isFinite(peaks.gpuMiB) && Number.isFinite(gpuBase) ? peaks.gpuMiB - gpuBase : "",
      };
      result.rows.push(row);
      if (fingerprint) result.fingerprints.set(seqLen, fingerprint);
      if (record) {
        record.samples_per_s = row.samples_per_s;
        result.density.push(record);
      }
    }
  } finally {
    await runner.release();
  }
  return result;
}

/** What one call returns: a fingerprint of its outputs (density: y). */
interface CallOutput {
  values: Float64Array;
}

async function callSuite(
  runner: LlamaRunner,
  suite: Suite,
  batch: number[][],
  densityLayers: readonly number[],
): Promise<CallOutput> {
  switch (suite) {
    case "forward": {
      const logits = await runner.lastLogits(batch);
      return { values: concat(logits) };
    }
    case "eval": {
      // Next-token targets; the last position scores the first token (any valid id does for timing).
      const targets = batch.map((s) => [...s.slice(1), s[0]]);
      return { values: concat(await runner.logProbs(batch, targets)) };
    }
    case "prune": {
      const { hidden, mask } = await runner.embed(batch);
      let h = hidden;
      let last: Float64Array = new Float64Array();
      for (let l = 0; l < runner.model.config.numLayers; l++) {
        const out = await runner.decoderBlock(l, h, mask, { hidden: true, statistics: true });
        h = out.hidden!;
        last = concat(Object.values(out.sumsq!));
      }
      return { values: last };
    }
    case "density": {
      // The timed loop's own graph (running sums), so the warm-up opens the session the loop uses.
      let y: Float64Array = new Float64Array();
      await runner.densitySums([batch], { layers: densityLayers, onBatch: (_, batchY) => y = batchY });
      return { values: y };
    }
  }
}

/** Σ of the values in float64, in order. */
function total(values: Float32Array | Float64Array): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s;
}

function concat(parts: readonly (Float32Array | Float64Array)[]): Float64Array {
  const out = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
