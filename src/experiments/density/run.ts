/**
 * `deno task density`: the density experiment as a run directory, and its recomputation for another γ from
 * a finished run (`--from`).
 *
 * Run directory:
 *  - `density.csv` ({@link DENSITY_COLUMNS}): per dataset, layer and linear (and "all"), active parameters;
 *  - `density_histogram.csv` ({@link HISTOGRAM_COLUMNS}): the histogram of mean A per dataset, layer, linear;
 *  - `density_sums/<dataset>.layers<a-b>.<f32|f64>` + `density_sums.json`: the raw sums Σ_s A(s, w) per
 *    parameter (little-endian, weights in layer then q,k,v,o,gate,up,down order, each [out, in] row-major),
 *    kept when all of them take at most `keepSumsBytes`; with them `--from` is exact for every γ;
 *  - `stages/density.<dataset>.layers<a-b>.json`: one stage per dataset and layer group (a resumed run skips
 *    the finished ones); `manifest.json` with the example ids / windows and `measurements` (peak RSS).
 *
 * Layers are scored `layerGroup` at a time: each group is its own graph and its own pass over the samples,
 * so memory holds the weights plus one accumulator for the group's layers.
 */
import { join } from "node:path";
import { LlamaRunner } from "../../model/llama/llama_runner.ts";
import { LINEAR_MODULES, linearShape, linearWeightName, type LlamaConfig } from "../../model/llama_config.ts";
import { contentHash } from "../../results/content_hash.ts";
import { type CsvRow, readCsv } from "../../results/csv.ts";
import { readManifest } from "../../results/manifest.ts";
import { createRunDir, resumeLine, type RunDir, runStage } from "../../results/run_dir.ts";
import { openAtomic } from "../../util/atomic_write.ts";
import { ActpatError, UsageError } from "../../util/errors.ts";
import { PeakMemory } from "../../util/peak_memory.ts";
import { progress } from "../../util/progress.ts";
import {
  groupLabel,
  layerGroups,
  layerLinearParams,
  loadSamplesOrSkip,
  measurements,
  memoryBudget,
  samplesHash,
} from "../activation/mod.ts";
import { experimentRun, type RunOptions } from "../experiment_run.ts";
import { BIN_COUNT, binBounds } from "./histogram.ts";
import type { GammaSpec } from "./gamma.ts";
import {
  activationSums,
  type DatasetDensity,
  DENSITY_COLUMNS,
  densityTable,
  HISTOGRAM_COLUMNS,
  moduleDensities,
  type ModuleDensity,
  type SumsReader,
} from "./density.ts";

/** Options of {@link runDensity}. */
export interface DensityRunOptions extends RunOptions {
  datasets: readonly string[];
  samples: number;
  /** Corpus window length (the paper's 256). */
  maxLen: number;
  shots: number;
  gamma: GammaSpec;
  /** Further γ, each counted with its source into density_gammas.csv (paper_gammas.ts). */
  gammas?: readonly { gamma: GammaSpec; source: string }[];
  seed: number;
  batchSize: number;
  /** Layers scored per pass (default: all). */
  layerGroup?: number;
  /** Split per dataset, overriding the paper's (e.g. wikitext2 → test where only test is at hand). */
  splits?: Readonly<Record<string, string>>;
  /** Keep the raw sums when they take at most this many bytes (0: never). */
  keepSumsBytes: number;
}

/** What a density run returns. */
export interface DensityResult {
  dir: string;
  gamma: number;
  note: string;
  rows: CsvRow[];
}

/** A stage's stored result: JSON, histograms sparse as [bin, count] pairs. */
interface StageResult {
  samples: number;
  sumsFile: string | null;
  sumsDType: "float32" | "float64";
  modules: {
    layer: number;
    module: (typeof LINEAR_MODULES)[number];
    params: number;
    active: number | null;
    histogram: [number, number][];
  }[];
}

const SUMS_INDEX = "density_sums.json";

/** Runs the density experiment and writes its run directory. */
export async function runDensity(opts: DensityRunOptions): Promise<DensityResult> {
  const config = {
    model: opts.model,
    tokenizer: opts.tokenizer ?? null,
    datasets: [...opts.datasets],
    samples: opts.samples,
    maxLen: opts.maxLen,
    shots: opts.shots,
    gamma: opts.gamma.text,
    ...(opts.gammas?.length
      ? { gammas: opts.gammas.map((g) => ({ gamma: g.gamma.text, source: g.source })) }
      : {}),
    seed: opts.seed,
    batchSize: opts.batchSize,
    layerGroup: opts.layerGroup ?? null,
    splits: opts.splits ?? {},
    dtype: opts.engine.dtype,
    threads: opts.engine.threads ?? null,
    keepSumsBytes: opts.keepSumsBytes,
  };
  return await experimentRun(
    { ...opts, command: "density", config, seed: opts.seed },
    async ({ run, model }) => {
      const t0 = performance.now();
      const mem = new PeakMemory();
      let budget: ReturnType<typeof memoryBudget> | undefined;
      try {
        const { samples } = await loadSamplesOrSkip(
          run,
          opts.datasets.map((dataset) => ({ dataset, count: opts.samples })),
          {
            seed: opts.seed,
            shots: opts.shots,
            maxLen: opts.maxLen,
            tokenizer: model.tokenizer,
            splits: opts.splits,
            load: opts.load,
            quiet: opts.quiet,
            maxPositions: model.config.maxPositionEmbeddings,
          },
        );
        if (samples.size === 0) {
          throw new ActpatError("run density", "no dataset could be loaded (see the skip lines)");
        }
        const cfg = model.config;
        const groups = layerGroups(Array.from({ length: cfg.numLayers }, (_, l) => l), opts.layerGroup);
        budget = memoryBudget(
          cfg,
          model.weights,
          opts.engine.dtype,
          Math.max(...groups.map((g) => g.length)),
        );
        const accBytes = opts.engine.dtype === "float64" ? 8 : 4;
        const keepSums =
          cfg.numLayers * layerLinearParams(cfg) * accBytes * samples.size <= opts.keepSumsBytes;
        const absolute = opts.gamma.kind === "absolute" ? opts.gamma.value : undefined;
        const results = new Map<string, StageResult[]>([...samples.keys()].map((d) => [d, []]));
        for (const group of groups) {
          const runner = new LlamaRunner(model, opts.engine);
          try {
            for (const [name, ds] of samples) {
              const inputs = {
                model: model.files.map((f) => f.sha256),
                samples: samplesHash(ds.samples),
                layers: group,
                batchSize: opts.batchSize,
                engine: { ep: opts.engine.ep, dtype: opts.engine.dtype },
                gamma: absolute ?? null,
                keepSums,
              };
              const stage = `density.${name}.layers${groupLabel(group)}`;
              const res = await runStage(run, stage, contentHash(inputs), async (): Promise<StageResult> => {
                const bar = progress(`density ${name} layers ${groupLabel(group)}`, ds.samples.length, {
                  unit: "samples",
                  quiet: opts.quiet,
                });
                const sums = await activationSums(runner, ds.samples.map((s) => s.tokens), {
                  layers: group,
                  batchSize: opts.batchSize,
                  onBatch: (n) => {
                    mem.sample();
                    bar.tick(n);
                  },
                });
                bar.done();
                const mods = moduleDensities(cfg, sums, ds.samples.length, group, absolute);
                const sumsFile = keepSums ? await writeSums(run, name, group, sums, cfg) : null;
                mem.sample();
                return {
                  samples: ds.samples.length,
                  sumsFile,
                  sumsDType: sums.values().next().value instanceof Float64Array ? "float64" : "float32",
                  modules: mods.map((m) => ({
                    layer: m.layer,
                    module: m.module,
                    params: m.params,
                    active: m.active,
                    histogram: sparse(m.histogram),
                  })),
                };
              }, { intact: (stored) => sumsIntact(run.path, stored, cfg, opts.quiet) });
              results.get(name)!.push(res);
            }
          } finally {
            await runner.release();
          }
        }
        const datasets: DatasetDensity[] = [...results].map(([dataset, rs]) => ({
          dataset,
          samples: rs[0].samples,
          modules: rs.flatMap((r) => r.modules.map(dense)),
        }));
        if (keepSums) {
          await run.writeJson(
            SUMS_INDEX,
            sumsIndex(cfg, results),
            "index and layout of the kept sums Σ_s A(s, w)",
          );
        }
        const reader = keepSums ? sumsReader(run.path, sumsIndex(cfg, results)) : null;
        const result = await finish(
          run,
          opts.model,
          opts.seed,
          opts.gamma,
          datasets,
          reader,
          true,
          opts.quiet,
        );
        if (opts.gammas?.length) {
          await writeGammas(run, {
            model: opts.model,
            seed: opts.seed,
            gammas: opts.gammas,
            datasets,
            sums: reader,
          });
        }
        return result;
      } finally {
        if (budget) {
          run.manifest.measurements = measurements(mem.stop(), budget, (performance.now() - t0) / 1000, {
            layerGroup: opts.layerGroup ?? null,
            batchSize: opts.batchSize,
          });
          await run.save();
        } else mem.stop();
      }
    },
  );
}

/** Writes density.csv (and the histogram when asked) and returns the table. */
async function finish(
  run: RunDir,
  model: string,
  seed: number,
  gamma: GammaSpec,
  datasets: DatasetDensity[],
  sums: SumsReader | null,
  writeHistogram: boolean,
  quiet = false,
): Promise<DensityResult> {
  const table = await densityTable(datasets, gamma, sums);
  const rows: CsvRow[] = table.counts.map((c) => ({
    model,
    dataset: c.dataset,
    layer: c.layer,
    module: c.module,
    params: c.params,
    active: c.count.active,
    fraction: c.count.active / c.params,
    gamma: table.gamma,
    gamma_spec: gamma.text,
    samples: c.samples,
    seed,
    exact: c.count.exact,
    active_low: c.count.low,
    active_high: c.count.high,
  }));
  run.manifest.config = { ...run.manifest.config, gammaValue: table.gamma, gammaNote: table.note };
  await run.writeCsv(
    "density.csv",
    DENSITY_COLUMNS,
    rows,
    `active parameters per layer and linear; ${table.note}`,
  );
  if (writeHistogram) {
    const hist: CsvRow[] = [];
    for (const d of datasets) {
      for (const m of d.modules) {
        m.histogram.forEach((count, bin) => {
          if (count > 0) {
            const { lower, upper } = binBounds(bin);
            hist.push({ dataset: d.dataset, layer: m.layer, module: m.module, bin, lower, upper, count });
          }
        });
      }
    }
    await run.writeCsv(
      "density_histogram.csv",
      HISTOGRAM_COLUMNS,
      hist,
      "histogram of mean A per dataset, layer and linear (log-spaced bins, zero bins left out)",
    );
  }
  if (!quiet) console.error(table.note);
  return { dir: run.path, gamma: table.gamma, note: table.note, rows };
}

/** Columns of `density_gammas.csv`: those of density.csv (layer totals) and the γ's source. */
export const DENSITY_GAMMAS_COLUMNS = [
  ...DENSITY_COLUMNS,
  { name: "source", type: "string", description: "where the γ comes from: code or text (paper_gammas.ts)" },
] as const;

/**
 * Writes density_gammas.csv: the per-layer totals at every γ of `gammas`, each with its source. The paper's
 * γ are histogram edges (histogram.ts), so counts from the histogram are exact; `exact` says so per row.
 */
async function writeGammas(
  run: RunDir,
  opts: {
    model: string;
    seed: number;
    gammas: readonly { gamma: GammaSpec; source: string }[];
    datasets: DatasetDensity[];
    sums: SumsReader | null;
  },
): Promise<void> {
  const rows: CsvRow[] = [];
  // The exact counts taken during accumulation are for the run's own γ: drop them so each γ is counted anew.
  const datasets = opts.datasets.map((d) => ({
    ...d,
    modules: d.modules.map((m) => ({ ...m, active: null })),
  }));
  for (const { gamma, source } of opts.gammas) {
    const table = await densityTable(datasets, gamma, opts.sums);
    for (const c of table.counts) {
      if (c.module !== "all") continue;
      rows.push({
        model: opts.model,
        dataset: c.dataset,
        layer: c.layer,
        module: c.module,
        params: c.params,
        active: c.count.active,
        fraction: c.count.active / c.params,
        gamma: table.gamma,
        gamma_spec: gamma.text,
        samples: c.samples,
        seed: opts.seed,
        exact: c.count.exact,
        active_low: c.count.low,
        active_high: c.count.high,
        source,
      });
    }
  }
  await run.writeCsv(
    "density_gammas.csv",
    DENSITY_GAMMAS_COLUMNS,
    rows,
    "activated parameters per layer at each γ of the gammas list, with its source (the paper's code or text)",
  );
}

function sparse(h: Float64Array): [number, number][] {
  const out: [number, number][] = [];
  h.forEach((c, k) => c > 0 && out.push([k, c]));
  return out;
}

function dense(m: StageResult["modules"][number]): ModuleDensity {
  const histogram = new Float64Array(BIN_COUNT);
  for (const [k, c] of m.histogram) histogram[k] = c;
  return { layer: m.layer, module: m.module, params: m.params, histogram, active: m.active };
}

/** Writes one group's sums as one binary file under density_sums/; returns its path in the run directory. */
async function writeSums(
  run: RunDir,
  dataset: string,
  group: readonly number[],
  sums: ReadonlyMap<string, Float32Array | Float64Array>,
  config: LlamaConfig,
): Promise<string> {
  const first = sums.values().next().value!;
  const rel = `density_sums/${dataset}.layers${groupLabel(group)}.${
    first instanceof Float64Array ? "f64" : "f32"
  }`;
  const out = await openAtomic(run.file(rel));
  try {
    for (const l of group) {
      for (const m of LINEAR_MODULES) {
        const s = sums.get(linearWeightName(l, m))!;
        const expect = linearShape(config, m).reduce((a, b) => a * b, 1);
        if (s.length !== expect) {
          throw new ActpatError("write density sums", `${linearWeightName(l, m)} has ${s.length} values`);
        }
        const bytes = new Uint8Array(s.buffer, s.byteOffset, s.byteLength);
        for (let off = 0; off < bytes.length;) off += await out.file.write(bytes.subarray(off));
      }
    }
    await out.commit();
  } catch (err) {
    await out.abort();
    throw err;
  }
  return rel;
}

/** Bytes of one group's sums file: the 7 linears of each of `layers`, `bytes` per value. */
function sumsBytes(config: LlamaConfig, layers: readonly number[], bytes: number): number {
  const perLayer = LINEAR_MODULES.reduce((n, m) => n + linearShape(config, m).reduce((a, b) => a * b, 1), 0);
  return layers.length * perLayer * bytes;
}

/**
 * Whether a stored stage's sums file is whole: present with the size its layers and dtype give. A file cut
 * short (a full disk, a copy that stopped) makes a resumed run compute that stage again, with a note.
 */
async function sumsIntact(
  dir: string,
  stored: StageResult,
  config: LlamaConfig,
  quiet = false,
): Promise<boolean> {
  if (stored.sumsFile === null) return true;
  const layers = [...new Set(stored.modules.map((m) => m.layer))];
  const expected = sumsBytes(config, layers, stored.sumsDType === "float64" ? 8 : 4);
  const size = await Deno.stat(join(dir, stored.sumsFile)).then((i) => i.isFile ? i.size : -1, () => -1);
  if (size === expected) return true;
  if (!quiet) {
    console.error(
      `note: ${join(dir, stored.sumsFile)} is ${
        size < 0 ? "missing" : `${size} bytes, not ${expected}`
      }: computing its stage again`,
    );
  }
  return false;
}

interface SumsIndex {
  byteOrder: "little-endian";
  files: {
    dataset: string;
    samples: number;
    file: string;
    dtype: "float32" | "float64";
    tensors: { name: string; layer: number; module: string; shape: [number, number]; offset: number }[];
  }[];
}

function sumsIndex(config: LlamaConfig, results: ReadonlyMap<string, StageResult[]>): SumsIndex {
  const files: SumsIndex["files"] = [];
  for (const [dataset, rs] of results) {
    for (const r of rs) {
      if (!r.sumsFile) throw new ActpatError("index density sums", `the stage of ${dataset} kept no sums`);
      const bytes = r.sumsDType === "float64" ? 8 : 4;
      let offset = 0;
      const layers = [...new Set(r.modules.map((m) => m.layer))];
      const tensors = layers.flatMap((layer) =>
        LINEAR_MODULES.map((module) => {
          const shape = linearShape(config, module);
          const t = { name: linearWeightName(layer, module), layer, module, shape, offset };
          offset += shape[0] * shape[1] * bytes;
          return t;
        })
      );
      files.push({ dataset, samples: r.samples, file: r.sumsFile, dtype: r.sumsDType, tensors });
    }
  }
  return { byteOrder: "little-endian", files };
}

function sumsReader(dir: string, index: SumsIndex): SumsReader {
  return async (dataset) => {
    const out = new Map<string, Float32Array | Float64Array>();
    for (const f of index.files.filter((x) => x.dataset === dataset)) {
      const path = join(dir, f.file);
      const bytes = await Deno.readFile(path);
      const width = f.dtype === "float64" ? 8 : 4;
      const expected = f.tensors.reduce(
        (end, t) => Math.max(end, t.offset + t.shape[0] * t.shape[1] * width),
        0,
      );
      if (bytes.length !== expected || bytes.byteOffset % width !== 0) {
        throw new ActpatError(
          `read ${path}`,
          `it holds ${bytes.length} bytes, but ${SUMS_INDEX} gives ${expected} (${f.tensors.length} ${f.dtype} ` +
            `tensors of ${dataset}): the file is truncated or damaged; run density again into a new --out`,
        );
      }
      for (const t of f.tensors) {
        const n = t.shape[0] * t.shape[1];
        const arr = f.dtype === "float64"
          ? new Float64Array(bytes.buffer, bytes.byteOffset + t.offset, n)
          : new Float32Array(bytes.buffer, bytes.byteOffset + t.offset, n);
        out.set(t.name, arr);
      }
    }
    if (out.size === 0) throw new ActpatError("read density sums", `none kept for ${dataset}`);
    return out;
  };
}

/** Options of {@link densityFromRun}. */
export interface DensityFromOptions {
  /** A finished density run directory. */
  from: string;
  gamma: GammaSpec;
  out?: string;
  root?: string;
  argv?: string[];
  quiet?: boolean;
  /** Replace what `out` holds when it is not a run of this recomputation (`--force`). */
  force?: boolean;
}

/**
 * Recomputes density.csv for another γ from a density run directory, without the model: exact from the
 * kept sums when the run kept them, else from density_histogram.csv (exact for γ on a bin edge; bounds and
 * a log-uniform estimate, `exact` false, for γ inside a bin). Writes a new run directory.
 */
export async function densityFromRun(opts: DensityFromOptions): Promise<DensityResult> {
  const source = await readManifest(join(opts.from, "manifest.json"));
  if (source.command !== "density") {
    throw new ActpatError(
      `recompute density from ${opts.from}`,
      `it holds a "${source.command}" run (${source.status}), not a density run`,
    );
  }
  if (source.status !== "ok") {
    throw new ActpatError(
      `recompute density from ${opts.from}`,
      `its density run is ${source.status}, not finished; ${
        source.status === "failed" ? "after fixing its error, resume" : "resume"
      } it first with\n  ${resumeLine(source, opts.from)}`,
    );
  }
  if (
    opts.out !== undefined &&
    (await Deno.realPath(opts.out).catch(() => opts.out)) === await Deno.realPath(opts.from)
  ) {
    throw new UsageError(
      "parse --out",
      "it must differ from --from (the source run is read, not rewritten)",
    );
  }
  const cfg = source.config as { model?: string; samples?: number; seed?: number };
  const rows = await readCsv(join(opts.from, "density_histogram.csv"), HISTOGRAM_COLUMNS);
  const byDataset = new Map<string, Map<string, ModuleDensity>>();
  for (const r of rows) {
    const d = r.dataset as string;
    const key = `${r.layer}.${r.module}`;
    if (!byDataset.has(d)) byDataset.set(d, new Map());
    const mods = byDataset.get(d)!;
    let m = mods.get(key);
    if (!m) {
      m = {
        layer: r.layer as number,
        module: r.module as ModuleDensity["module"],
        params: 0,
        histogram: new Float64Array(BIN_COUNT),
        active: null,
      };
      mods.set(key, m);
    }
    m.histogram[r.bin as number] += r.count as number;
    m.params += r.count as number;
  }
  const order = (m: ModuleDensity) => m.layer * LINEAR_MODULES.length + LINEAR_MODULES.indexOf(m.module);
  const datasets: DatasetDensity[] = [...byDataset].map(([dataset, mods]) => ({
    dataset,
    samples: cfg.samples ?? NaN,
    modules: [...mods.values()].sort((a, b) => order(a) - order(b)),
  }));
  if (datasets.length === 0 || !Number.isInteger(cfg.samples)) {
    throw new ActpatError(
      `recompute density from ${opts.from}`,
      "its histogram or its sample count is missing",
    );
  }
  let reader: SumsReader | null = null;
  try {
    const index = JSON.parse(await Deno.readTextFile(join(opts.from, SUMS_INDEX))) as SumsIndex;
    reader = sumsReader(opts.from, index);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      throw new ActpatError(`read ${join(opts.from, SUMS_INDEX)}`, String(err));
    }
  }
  const run = await createRunDir({
    command: "density",
    argv: opts.argv,
    config: { from: opts.from, gamma: opts.gamma.text, sumsKept: reader !== null, source: source.config },
    seed: source.seed,
    executionProvider: source.executionProvider,
    dir: opts.out,
    root: opts.root,
    force: opts.force ?? false,
  });
  try {
    if (source.model) await run.recordModel(source.model);
    for (const d of source.datasets) await run.recordDataset(d);
    const result = await finish(
      run,
      cfg.model ?? "",
      cfg.seed ?? 0,
      opts.gamma,
      datasets,
      reader,
      false,
      opts.quiet,
    );
    await run.finish("ok");
    return result;
  } catch (err) {
    await run.finish("failed", err);
    throw err;
  }
}
