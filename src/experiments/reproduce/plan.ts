/**
 * The reproduction as data: every stage of {@link REPRODUCE_EXPERIMENTS} with its resolved settings, and the
 * cells (units of work) it splits into, with their dependencies and content hashes. `reproduce --plan`
 * prints it; every executor runs exactly its cells (one process, worker processes, Slurm jobs), so what is
 * printed is what runs.
 *
 * A stage is one cell, or (table1, transfer) one cell per independent part (a Table 1 row, a calibration
 * set) plus an assembly cell that depends on them and writes the stage's tables from their stored results.
 * Each cell alone writes its folder (`dir`) and its records (`cells/<id>.done.json`).
 */
import { z } from "zod";
import {
  DATASETS,
  type LoadOptions,
  loadSplit,
  onDisk,
  sampleSplitOf,
  splitAvailability,
} from "../../data/mod.ts";
import { modelDepthOnDisk } from "../../model/model_depth.ts";
import { contentHash } from "../../results/content_hash.ts";
import { versions } from "../../results/manifest.ts";
import type { EngineOptions } from "../engine_options.ts";
import type { ReproduceConfig } from "./config.ts";
import {
  REPRODUCE_EXPERIMENTS,
  type ReproduceExperiment,
  type ReproduceStage,
  type StageContext,
} from "./stages.ts";

/** What a cell is: a whole stage, a part of one, or the assembly of a stage's parts. */
export const CELL_ROLES = ["stage", "part", "assembly"] as const;

/** One unit of work. */
export const PlannedCell = z.strictObject({
  id: z.string().describe("`<stage>` or `<stage>.<part>`; also the name of its records under cells/"),
  stage: z.string(),
  role: z.enum(CELL_ROLES),
  dir: z.string().describe("the folder of the run directory this cell alone writes"),
  settings: z.record(z.string(), z.unknown()).describe("its settings, resolved"),
  dependsOn: z.array(z.string()).describe("cells that must be done before it runs"),
  hash: z.string().describe("sha256 of everything it depends on but the weight bytes (see runKey)"),
});
export type PlannedCell = z.infer<typeof PlannedCell>;

/** One stage: planned (its cells listed) or skipped (with the reason). */
export const PlannedStage = z.strictObject({
  name: z.string(),
  dir: z.string(),
  status: z.enum(["planned", "skipped"]),
  reason: z.string().nullable(),
  settings: z.record(z.string(), z.unknown()),
  cells: z.array(z.string()),
});
export type PlannedStage = z.infer<typeof PlannedStage>;

/** The whole reproduction. */
export const ReproducePlan = z.strictObject({
  title: z.string(),
  configPath: z.string(),
  model: z.strictObject({
    ref: z.string(),
    tokenizer: z.string().nullable(),
    numLayers: z.number().int().nullable().describe("from config.json where on disk, else null"),
  }),
  engine: z.record(z.string(), z.unknown()),
  seed: z.number().int(),
  activationSeed: z.number().int(),
  actpat: z.string(),
  stages: z.array(PlannedStage),
  cells: z.array(PlannedCell).describe("in an order where every cell follows its dependencies"),
  skipped: z.array(z.strictObject({ stage: z.string(), reason: z.string() })),
});
export type ReproducePlan = z.infer<typeof ReproducePlan>;

/** A plan and how to run each of its cells into a folder. */
export interface ExecutablePlan {
  plan: ReproducePlan;
  /** Runs a cell into `out`; an assembly's `parts` are its parts' folders (their records are reused). */
  runners: ReadonlyMap<string, (out: string, parts: readonly string[]) => Promise<unknown>>;
}

/** Options of {@link planReproduction}. */
export interface PlanOptions {
  config: ReproduceConfig;
  configPath: string;
  /** Only these stages (default every stage the config enables). */
  only?: readonly ReproduceStage[];
  load?: LoadOptions;
  /** The config's engine: what the hashes cover. */
  engine: EngineOptions;
  /** Intra-op threads of this process (a CPU slice of a machine); not part of any hash. */
  threads?: number;
  base: StageContext["base"];
  /**
   * Fetch a dataset that is not on disk to see whether it can be had (runs); false: a downloadable dataset
   * counts as available and nothing is fetched (`--plan`).
   */
  download: boolean;
  log?: (line: string) => void;
}

/**
 * The key a cell's done record is stored under: its plan hash and the sha256 of the model's weight files,
 * so new weights under the same reference run every cell again.
 */
export function runKey(cell: PlannedCell, weights: readonly string[]): string {
  return contentHash({ cell: cell.hash, weights });
}

/** Whether `name`/`split` can be had, or why not; `download` false: on disk or downloadable. */
async function probeSplit(
  name: string,
  split: string,
  load: LoadOptions,
  download: boolean,
): Promise<string | null> {
  const spec = DATASETS.get(name);
  const s = spec.splits[split];
  if (!s) return `dataset "${name}" has no split "${split}" (splits: ${Object.keys(spec.splits).join(", ")})`;
  const where = await splitAvailability(spec.folder ?? name, s.sources, load);
  if (onDisk(where)) return null;
  if (where === "unavailable") {
    return `${name}/${split} is not embedded, in the mirror or the cache and has no download source`;
  }
  if (!download) return null;
  try {
    await loadSplit(name, split, { ...load, quiet: true });
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * Plans the configured reproduction: each experiment whose config section is set (and, with `only`, is
 * asked for) becomes its cells. Datasets that cannot be had are dropped from the stages that list them
 * (listed in `skipped` with the reason); a stage left with nothing to do is skipped the same way. Loads no
 * model: the depth comes from `config.json` when it is on disk.
 */
export async function planReproduction(opts: PlanOptions): Promise<ExecutablePlan> {
  const { config } = opts;
  const load = opts.load ?? {};
  const skipped: { stage: string; reason: string }[] = [];
  const skip = (stage: string, reason: string) => {
    opts.log?.(`reproduce: skipping ${stage}: ${reason}`);
    skipped.push({ stage, reason });
  };
  const probes = new Map<string, Promise<string | null>>();
  const probe = (name: string, split: string) => {
    const key = `${name}/${split}`;
    if (!probes.has(key)) probes.set(key, probeSplit(name, split, load, opts.download));
    return probes.get(key)!;
  };
  const sampleSplit = (name: string) => config.splits[name] ?? sampleSplitOf(DATASETS.get(name));
  const numLayers = await modelDepthOnDisk(config.model);
  const model = { ref: config.model, tokenizer: config.tokenizer };
  const common = {
    model,
    engine: opts.engine,
    seed: config.seed,
    activationSeed: config.activationSeed,
    // The draws themselves changed (PCG32 → Python's random): stages made before are not reused.
    draws: "python-random",
    actpat: versions().actpat,
  };

  const stages: PlannedStage[] = [];
  const cells: PlannedCell[] = [];
  const runners = new Map<string, (out: string, parts: readonly string[]) => Promise<unknown>>();
  for (const experiment of REPRODUCE_EXPERIMENTS) {
    const { name, dir } = experiment;
    if (opts.only && !opts.only.includes(name)) continue;
    const section = config[name];
    const skippedStage = (reason: string) =>
      stages.push({ name, dir, status: "skipped", reason, settings: {}, cells: [] });
    if (section === null) {
      skip(name, `the config (${opts.configPath}) disables it`);
      skippedStage("disabled by the config");
      continue;
    }
    const ctx: StageContext = {
      config,
      base: opts.base,
      engine: opts.threads ? { ...opts.engine, threads: opts.threads } : opts.engine,
      load,
      numLayers,
      log: opts.log ?? (() => {}),
      probe,
      sampleSplit,
      available: async (names) => {
        const kept: string[] = [];
        for (const n of names) {
          const reason = await probe(n, sampleSplit(n));
          if (reason === null) kept.push(n);
          else skip(name, `dataset ${n} (${sampleSplit(n)}) cannot be had: ${reason}`);
        }
        return kept;
      },
    };
    // deno-lint-ignore no-explicit-any -- each entry's schema types its own plan's settings
    const planned = await (experiment as ReproduceExperiment<string, any>).plan(
      experiment.schema.parse(section),
      ctx,
    );
    if (typeof planned === "string") {
      skip(name, planned);
      skippedStage(planned);
      continue;
    }
    const shared = Object.fromEntries(experiment.reads.map((k) => [k, config[k]]));
    const settings = { ...section, ...planned.inputs, ...shared };
    const parts: PlannedCell[] = (planned.parts ?? []).map((p) => {
      const id = `${name}.${p.name}`;
      runners.set(id, p.run);
      return {
        id,
        stage: name,
        role: "part" as const,
        dir: `cells/${id}`,
        settings: p.resolved,
        dependsOn: [],
        hash: contentHash({ cell: id, settings, part: p.resolved, ...common }),
      };
    });
    const whole: PlannedCell = {
      id: name,
      stage: name,
      role: parts.length > 0 ? "assembly" : "stage",
      dir,
      settings: planned.resolved,
      dependsOn: parts.map((p) => p.id),
      hash: contentHash({ cell: name, settings, parts: parts.map((p) => p.hash), ...common }),
    };
    runners.set(name, planned.run);
    cells.push(...parts, whole);
    stages.push({
      name,
      dir,
      status: "planned",
      reason: null,
      settings: planned.resolved,
      cells: [...parts.map((p) => p.id), whole.id],
    });
  }
  const plan: ReproducePlan = {
    title: config.title,
    configPath: opts.configPath,
    model: { ...model, numLayers },
    engine: { ...opts.engine },
    seed: config.seed,
    activationSeed: config.activationSeed,
    actpat: versions().actpat,
    stages,
    cells,
    skipped,
  };
  return { plan, runners };
}

/** The cells of `plan` whose dependencies are all in `done` and that are not themselves. */
export function readyCells(plan: ReproducePlan, done: ReadonlySet<string>): PlannedCell[] {
  return plan.cells.filter((c) => !done.has(c.id) && c.dependsOn.every((d) => done.has(d)));
}
