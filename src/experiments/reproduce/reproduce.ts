/**
 * `deno task reproduce`: every experiment of the two papers for one configuration, in the paper's order, into
 * one run directory. Each stage is an experiment run of its own in a numbered sub-directory (its own manifest,
 * its own resumable inner stages); the top manifest records the model, what was skipped and why, and one
 * stage record per experiment keyed by a hash of everything it depends on, so an unchanged stage is reused.
 */
import { join } from "node:path";
import { type LoadOptions, loadSplit, splitAvailability } from "../../data/mod.ts";
import { DATASETS } from "../../data/registry.ts";
import { loadModel } from "../../model/load_model.ts";
import { contentHash } from "../../results/content_hash.ts";
import { createRunDir, runStage } from "../../results/run_dir.ts";
import { modelRecord, readManifest, versions } from "../../results/manifest.ts";
import { ActpatError } from "../../util/errors.ts";
import { PAPER_SAMPLE_SPLITS } from "../activation/mod.ts";
import { defaultCalibrationSplit, defaultPruneConfig, parseCalibration } from "../prune/mod.ts";
import { parseGamma, runDensity } from "../density/mod.ts";
import { defaultEvalConfig } from "../eval/mod.ts";
import { runMassive } from "../massive/mod.ts";
import type { ReproduceConfig } from "./config.ts";
import { parsePairs, runRelevance, runSimilarity } from "../similarity/mod.ts";
import { runSts } from "../sts/mod.ts";
import { runTable1, runTransfer } from "../prune_eval/mod.ts";

/** The stages in the order they run; each writes into `<run>/<dir>`. */
export const REPRODUCE_STAGES = [
  { name: "density", dir: "01-density" },
  { name: "similarity", dir: "02-similarity" },
  { name: "relevance", dir: "03-relevance" },
  { name: "table1", dir: "04-table1" },
  { name: "transfer", dir: "05-transfer" },
  { name: "sts", dir: "06-sts" },
  { name: "massive", dir: "07-massive" },
] as const;
export type ReproduceStage = typeof REPRODUCE_STAGES[number]["name"];

/** Options of {@link runReproduction}. */
export interface ReproduceOptions {
  config: ReproduceConfig;
  /** Where the config came from (for the manifest). */
  configPath: string;
  /** Run directory; an existing reproduce run there resumes (unchanged stages are reused). */
  out?: string;
  root?: string;
  argv?: string[];
  /** Only these stages (default all that the config enables). */
  only?: readonly ReproduceStage[];
  load?: LoadOptions;
  quiet?: boolean;
  /** Progress lines (default console.error, so stdout stays clean). */
  log?: (line: string) => void;
  /** Replace a run of another configuration in `out`, and in each stage's folder (`--force`). */
  force?: boolean;
  /** Load weights holding NaN or ±Inf, with a warning (`--allow-nonfinite`). */
  allowNonfinite?: boolean;
}

/** What each stage did. */
export interface StageOutcome {
  stage: ReproduceStage;
  status: "ran" | "reused" | "skipped";
  dir: string | null;
  seconds: number;
  reason?: string;
}

/** Whether a dataset split can be had: on disk, or downloaded now. The reason when it cannot. */
async function probeSplit(name: string, split: string, load: LoadOptions): Promise<string | null> {
  const spec = DATASETS.get(name);
  const s = spec.splits[split];
  if (!s) return `dataset "${name}" has no split "${split}" (splits: ${Object.keys(spec.splits).join(", ")})`;
  const where = await splitAvailability(spec.folder ?? name, s.sources, load);
  if (where === "mirror" || where === "cache") return null;
  if (where === "unavailable") {
    return `${name}/${split} is not in the mirror or the cache and has no download source`;
  }
  try {
    await loadSplit(name, split, { ...load, quiet: true });
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * Runs the configured reproduction. Datasets that cannot be had are dropped from the stages that list them
 * (recorded in the manifest's `skipped` with the reason, and printed); a stage left with nothing to do is
 * skipped the same way. Never silent.
 */
export async function runReproduction(
  opts: ReproduceOptions,
): Promise<{ dir: string; stages: StageOutcome[] }> {
  const { config } = opts;
  const log = opts.log ?? ((line: string) => console.error(line));
  const load = opts.load ?? {};
  const run = await createRunDir({
    command: "reproduce",
    argv: opts.argv,
    config: { configPath: opts.configPath, ...config },
    seed: config.seed,
    executionProvider: config.ep,
    root: opts.root,
    dir: opts.out,
    force: opts.force ?? false,
  });
  const engine = {
    ep: config.ep,
    dtype: config.dtype,
    ...(config.threads ? { threads: config.threads } : {}),
  };
  const common = { model: config.model, ...(config.tokenizer ? { tokenizer: config.tokenizer } : {}) };
  try {
    const model = await loadModel(config.model, {
      ...(config.tokenizer ? { tokenizer: config.tokenizer } : {}),
      allowNonfinite: opts.allowNonfinite ?? false,
    });
    await run.recordModel(modelRecord(model));
    run.manifest.skipped = [];
    const skip = async (stage: string, reason: string) => {
      log(`reproduce: skipping ${stage}: ${reason}`);
      run.manifest.skipped.push({ stage, reason });
      await run.save();
    };
    const probes = new Map<string, Promise<string | null>>();
    const probe = (name: string, split: string) => {
      const key = `${name}/${split}`;
      if (!probes.has(key)) probes.set(key, probeSplit(name, split, load));
      return probes.get(key)!;
    };
    const sampleSplit = (name: string) =>
      config.splits[name] ?? PAPER_SAMPLE_SPLITS[name] ?? Object.keys(DATASETS.get(name).splits)[0];
    /** The datasets of `names` that can be had; the others are reported as skipped inputs of `stage`. */
    const available = async (stage: string, names: readonly string[]) => {
      const kept: string[] = [];
      for (const name of names) {
        const reason = await probe(name, sampleSplit(name));
        if (reason === null) kept.push(name);
        else await skip(stage, `dataset ${name} (${sampleSplit(name)}) cannot be had: ${reason}`);
      }
      return kept;
    };
    /** The stage's settings (for its hash) and how to run it, or why it cannot run. */
    const stageTask = async (
      stage: ReproduceStage,
      out: string,
    ): Promise<{ settings: unknown; run: () => Promise<unknown> } | string> => {
      const base = {
        ...common,
        out,
        argv: opts.argv,
        quiet: opts.quiet,
        force: opts.force ?? false,
        allowNonfinite: opts.allowNonfinite ?? false,
      };
      switch (stage) {
        case "density": {
          const c = config.density!;
          const datasets = await available(stage, c.datasets);
          if (datasets.length === 0) return "none of its datasets can be had";
          const settings = { ...c, datasets, splits: config.splits };
          return {
            settings,
            run: () =>
              runDensity({
                ...base,
                datasets,
                samples: c.samples,
                maxLen: c.maxLen,
                shots: c.shots,
                gamma: parseGamma(c.gamma),
                seed: config.seed,
                batchSize: c.batchSize,
                ...(c.layerGroup ? { layerGroup: c.layerGroup } : {}),
                splits: config.splits,
                engine,
                keepSumsBytes: 0,
                load,
              }),
          };
        }
        case "similarity": {
          const c = config.similarity!;
          const names = [...new Set(c.pairs.flatMap((p) => p.split(":")))];
          const ok = new Set(await available(stage, names));
          const pairs = parsePairs(c.pairs.join(",")).filter(([a, b]) => ok.has(a) && ok.has(b));
          if (pairs.length === 0) return "none of its dataset pairs can be had";
          const settings = { ...c, pairs, splits: config.splits, density: config.density };
          return {
            settings,
            run: () => runSimilarity({ ...base, pairs, ...pairSettings(c.samples) }),
          };
        }
        case "relevance": {
          const c = config.relevance!;
          const datasets = await available(stage, c.datasets);
          if (datasets.length < 2) return "fewer than two of its datasets can be had";
          const settings = { ...c, datasets, splits: config.splits, density: config.density };
          return {
            settings,
            run: () =>
              runRelevance({
                ...base,
                datasets,
                ...(c.layers ? { layers: c.layers } : {}),
                ...pairSettings(c.samples),
              }),
          };
        }
        case "table1": {
          const c = config.table1!;
          const calibration = parseCalibration(c.calibration);
          const split = calibration.split ?? defaultCalibrationSplit(calibration.dataset);
          const reason = await probe(calibration.dataset, split);
          if (reason !== null) {
            return `calibration set ${calibration.dataset} (${split}) cannot be had: ${reason}`;
          }
          const settings = c;
          return {
            settings,
            run: () =>
              runTable1({
                ...base,
                prune: defaultPruneConfig({
                  sparsity: c.sparsity,
                  calibration,
                  nsamples: c.nsamples,
                  seqLen: c.seqLen,
                  seed: config.seed,
                  activation: { ...defaultPruneConfig().activation, gamma: c.gamma },
                }),
                eval: defaultEvalConfig({ tasks: c.tasks, limit: c.limit, seqLen: c.seqLen }),
                engine,
                load,
              }),
          };
        }
        case "transfer": {
          const c = config.transfer!;
          const calibrations = c.calibrations.map(parseCalibration);
          return {
            settings: c,
            run: () =>
              runTransfer({
                ...base,
                calibrations,
                prune: defaultPruneConfig({
                  sparsity: c.sparsity,
                  nsamples: c.nsamples,
                  seqLen: c.seqLen,
                  seed: config.seed,
                }),
                eval: defaultEvalConfig({ tasks: c.tasks, limit: c.limit, seqLen: c.seqLen }),
                engine,
                load,
              }),
          };
        }
        case "sts": {
          const c = config.sts!;
          return {
            settings: c,
            run: () =>
              runSts({
                ...base,
                benchmarks: c.benchmarks,
                split: c.split,
                samples: c.samples,
                seed: config.seed,
                layers: c.layers,
                engine,
                load,
              }),
          };
        }
        case "massive": {
          const c = config.massive!;
          return {
            settings: c,
            run: () =>
              runMassive({
                ...base,
                sequences: c.sequences,
                seqLen: c.seqLen,
                corpora: c.corpora,
                seed: config.seed,
                criterion: { absolute: c.absolute, ratio: c.ratio },
                ...(c.pplWindows ? { pplWindows: c.pplWindows } : {}),
                engine,
                load,
                log,
              }),
          };
        }
      }
    };

    const pairSettings = (samples: number) => {
      const d = config.density;
      return {
        samples,
        maxLen: d?.maxLen ?? 256,
        shots: d?.shots ?? 0,
        seed: config.seed,
        batchSize: Math.max(1, Math.floor((d?.batchSize ?? 8) / 2)),
        ...(d?.layerGroup ? { layerGroup: d.layerGroup } : {}),
        splits: config.splits,
        engine,
        quiet: opts.quiet,
        load,
      };
    };

    const modelDigest = model.files.map((f) => f.sha256);
    const outcomes: StageOutcome[] = [];
    for (const { name, dir } of REPRODUCE_STAGES) {
      if (opts.only && !opts.only.includes(name)) continue;
      const section = config[name];
      if (section === null) {
        await skip(name, `the config (${opts.configPath}) disables it`);
        outcomes.push({
          stage: name,
          status: "skipped",
          dir: null,
          seconds: 0,
          reason: "disabled by the config",
        });
        continue;
      }
      const stageDir = join(run.path, dir);
      const task = await stageTask(name, stageDir);
      if (typeof task === "string") {
        await skip(name, task);
        outcomes.push({ stage: name, status: "skipped", dir: null, seconds: 0, reason: task });
        continue;
      }
      const hash = contentHash({
        stage: name,
        settings: task.settings,
        model: modelDigest,
        engine,
        seed: config.seed,
        actpat: versions().actpat,
      });
      log(`reproduce: ${name} → ${stageDir}`);
      const t0 = performance.now();
      await runStage(run, name, hash, async () => {
        await task.run();
        return { dir };
      });
      // The stage's own manifest holds the exact example ids; the top one lists every data file's digest.
      for (const d of (await readManifest(join(stageDir, "manifest.json"))).datasets) {
        await run.recordDataset({ name: d.name, split: d.split, files: d.files });
      }
      const record = run.manifest.stages.find((s) => s.name === name)!;
      outcomes.push({
        stage: name,
        status: record.reused ? "reused" : "ran",
        dir: stageDir,
        seconds: (performance.now() - t0) / 1000,
      });
    }
    await run.finish("ok");
    return { dir: run.path, stages: outcomes };
  } catch (err) {
    await run.finish("failed", err);
    if (err instanceof ActpatError) throw err;
    throw new ActpatError("reproduce", err instanceof Error ? err.message : String(err), { cause: err });
  }
}
