/**
 * `deno task reproduce`: every experiment of the two papers for one configuration, in the paper's order, into
 * one run directory. Each stage is an experiment run of its own in a numbered sub-directory (its own manifest,
 * its own resumable inner stages); the top manifest records the model, what was skipped and why, and one
 * stage record per experiment keyed by a hash of everything it depends on, so an unchanged stage is reused.
 */
import { join } from "node:path";
import { type LoadOptions, loadSplit, onDisk, splitAvailability } from "../../data/mod.ts";
import { DATASETS, sampleSplitOf } from "../../data/mod.ts";
import { contentHash } from "../../results/content_hash.ts";
import { runStage } from "../../results/run_dir.ts";
import { readManifest, versions } from "../../results/manifest.ts";
import { loadPublished, PUBLISHED_SCHEMA, publishedBeside } from "../../results/published.ts";
import { ActpatError } from "../../util/errors.ts";
import type { EngineOptions } from "../engine_options.ts";
import { experimentRun } from "../experiment_run.ts";
import type { ReproduceConfig } from "./config.ts";
import {
  REPRODUCE_EXPERIMENTS,
  type ReproduceExperiment,
  type ReproduceStage,
  type StageContext,
} from "./stages.ts";

/** The stages in the order they run; each writes into `<run>/<dir>`. */
export const REPRODUCE_STAGES = REPRODUCE_EXPERIMENTS.map(({ name, dir }) => ({ name, dir }));
export type { ReproduceStage };

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
  if (onDisk(where)) return null;
  if (where === "unavailable") {
    return `${name}/${split} is not embedded, in the mirror or the cache and has no download source`;
  }
  try {
    await loadSplit(name, split, { ...load, quiet: true });
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * Runs the configured reproduction: each experiment of {@link REPRODUCE_EXPERIMENTS} whose config section is
 * set, as a stage reused while its hash (section, what it reads of the rest of the config, model, engine,
 * seed, actpat version) is unchanged. Datasets that cannot be had are dropped from the stages that list them
 * (recorded in the manifest's `skipped` with the reason, and printed); a stage left with nothing to do is
 * skipped the same way. Never silent.
 */
export async function runReproduction(
  opts: ReproduceOptions,
): Promise<{ dir: string; stages: StageOutcome[] }> {
  const { config } = opts;
  const log = opts.log ?? ((line: string) => console.error(line));
  const load = opts.load ?? {};
  const engine: EngineOptions = {
    ep: config.ep,
    dtype: config.dtype,
    ...(config.threads ? { threads: config.threads } : {}),
  };
  const common = { model: config.model, ...(config.tokenizer ? { tokenizer: config.tokenizer } : {}) };
  const spec = {
    ...common,
    command: "reproduce",
    argv: opts.argv,
    config: { configPath: opts.configPath, ...config },
    seed: config.seed,
    engine,
    out: opts.out,
    root: opts.root,
    force: opts.force ?? false,
    allowNonfinite: opts.allowNonfinite ?? false,
  };
  try {
    return await experimentRun(spec, async ({ run, model }) => {
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
      const sampleSplit = (name: string) => config.splits[name] ?? sampleSplitOf(DATASETS.get(name));

      const modelDigest = model.files.map((f) => f.sha256);
      const outcomes: StageOutcome[] = [];
      for (const experiment of REPRODUCE_EXPERIMENTS) {
        const { name, dir } = experiment;
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
        const ctx: StageContext = {
          config,
          base: {
            ...common,
            out: stageDir,
            argv: opts.argv,
            quiet: opts.quiet,
            force: opts.force ?? false,
            allowNonfinite: opts.allowNonfinite ?? false,
          },
          engine,
          load,
          log,
          probe,
          available: async (names) => {
            const kept: string[] = [];
            for (const n of names) {
              const reason = await probe(n, sampleSplit(n));
              if (reason === null) kept.push(n);
              else await skip(name, `dataset ${n} (${sampleSplit(n)}) cannot be had: ${reason}`);
            }
            return kept;
          },
        };
        // deno-lint-ignore no-explicit-any -- each entry's schema types its own plan's settings
        const plan = await (experiment as ReproduceExperiment<string, any>).plan(
          experiment.schema.parse(section),
          ctx,
        );
        if (typeof plan === "string") {
          await skip(name, plan);
          outcomes.push({ stage: name, status: "skipped", dir: null, seconds: 0, reason: plan });
          continue;
        }
        const shared = Object.fromEntries(experiment.reads.map((k) => [k, config[k]]));
        const hash = contentHash({
          stage: name,
          settings: { ...section, ...plan.inputs, ...shared },
          model: modelDigest,
          engine,
          seed: config.seed,
          activationSeed: config.activationSeed,
          // The draws themselves changed (PCG32 → Python's random): stages made before are not reused.
          draws: "python-random",
          actpat: versions().actpat,
        });
        log(`reproduce: ${name} → ${stageDir}`);
        const t0 = performance.now();
        await runStage(run, name, hash, async () => {
          await plan.run();
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
      // The paper's numbers beside ours, for the report (only for models the papers report on).
      const pairs = await publishedBeside(run.path, config.model, await loadPublished());
      if (pairs.length > 0) {
        await run.writeCsv(
          "published.csv",
          PUBLISHED_SCHEMA,
          pairs.map((p) => ({ ...p })),
          "the papers' numbers (paper/published.json) beside this run's",
        );
      }
      return { dir: run.path, stages: outcomes };
    });
  } catch (err) {
    if (err instanceof ActpatError) throw err;
    throw new ActpatError("reproduce", err instanceof Error ? err.message : String(err), { cause: err });
  }
}
