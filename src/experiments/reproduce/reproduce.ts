/**
 * `deno task reproduce`: every experiment of the two papers for one configuration, in the paper's order, into
 * one run directory. The reproduction is planned first (plan.ts: stages, their cells, dependencies and
 * hashes); an executor then runs the cells not yet done: in this process, on local worker processes (one per
 * device), or as Slurm jobs. Each cell writes its own folder and its records under `cells/`; the top manifest
 * records the model, what was skipped and why, and one stage record per cell, so an unchanged cell is reused.
 */
import { join } from "node:path";
import type { LoadOptions } from "../../data/mod.ts";
import { readCellDone } from "../../results/cell_record.ts";
import { readManifest } from "../../results/manifest.ts";
import type { RunDir } from "../../results/run_dir.ts";
import { loadPublished, PUBLISHED_SCHEMA, publishedBeside } from "../../results/published.ts";
import { ActpatError } from "../../util/errors.ts";
import type { EngineOptions } from "../engine_options.ts";
import { experimentRun } from "../experiment_run.ts";
import type { ReproduceConfig } from "./config.ts";
import { type CellOutcome, executeCell } from "./execute_cell.ts";
import { type Device, runOnWorkers } from "./local_workers.ts";
import { type ExecutablePlan, type PlannedCell, planReproduction } from "./plan.ts";
import { type PlanFile, readPlanFile, writePlanFile } from "./plan_file.ts";
import { REPRODUCE_EXPERIMENTS, type ReproduceStage } from "./stages.ts";

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
  /** Who runs the cells (default this process, one after the other). */
  executor?: ReproduceExecutor;
}

/**
 * Who runs the cells that are not done: this process; local worker processes, one per device; or a
 * scheduler that is handed the pending cells and returns at once (Slurm: the run then ends "submitted").
 */
export type ReproduceExecutor =
  | { kind: "in-process" }
  | { kind: "workers"; devices: readonly Device[]; command(cell: string, device: Device): string[] }
  | {
    kind: "scheduler";
    submit(pending: readonly PlannedCell[], file: PlanFile, run: string): Promise<void>;
  };

/** What each stage did. */
export interface StageOutcome {
  stage: ReproduceStage;
  status: "ran" | "reused" | "skipped";
  dir: string | null;
  seconds: number;
  reason?: string;
}

/** The plan of `config` as the run options give it (`download`: fetch what is not on disk to probe it). */
export function planOf(
  opts: Pick<
    ReproduceOptions,
    "config" | "configPath" | "only" | "load" | "argv" | "quiet" | "log" | "force" | "allowNonfinite"
  >,
  download: boolean,
  threads?: number,
): Promise<ExecutablePlan> {
  const { config } = opts;
  return planReproduction({
    config,
    configPath: opts.configPath,
    only: opts.only,
    load: opts.load,
    engine: engineOf(config),
    ...(threads ? { threads } : {}),
    base: {
      model: config.model,
      ...(config.tokenizer ? { tokenizer: config.tokenizer } : {}),
      argv: opts.argv,
      quiet: opts.quiet,
      force: opts.force ?? false,
      allowNonfinite: opts.allowNonfinite ?? false,
    },
    download,
    log: opts.log,
  });
}

function engineOf(config: ReproduceConfig): EngineOptions {
  return { ep: config.ep, dtype: config.dtype, ...(config.threads ? { threads: config.threads } : {}) };
}

/**
 * Runs the configured reproduction: plans it, writes `plan.json`, and has the executor run every cell not
 * done under its key (plan hash and weight digests). Datasets that cannot be had are dropped from the
 * stages that list them (recorded in the manifest's `skipped` with the reason, and printed); a stage left
 * with nothing to do is skipped the same way. Never silent. With a scheduler the run ends "submitted" and
 * the stage outcomes are empty: the scheduler's last job runs this again, in process, to finish it.
 */
export async function runReproduction(
  opts: ReproduceOptions,
): Promise<{ dir: string; stages: StageOutcome[] }> {
  const { config } = opts;
  const log = opts.log ?? ((line: string) => console.error(line));
  const engine = engineOf(config);
  const spec = {
    model: config.model,
    ...(config.tokenizer ? { tokenizer: config.tokenizer } : {}),
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
      const exec = await planOf({ ...opts, log }, true);
      run.manifest.skipped = [...exec.plan.skipped];
      await run.save();
      const weights = model.files.map((f) => f.sha256);
      const file = await writePlanFile(run.path, exec.plan, config, weights, opts.only);
      const pending: PlannedCell[] = [];
      for (const cell of exec.plan.cells) {
        if ((await readCellDone(run.path, cell.id))?.key !== file.keys[cell.id]) pending.push(cell);
      }
      const executor = opts.executor ?? { kind: "in-process" };
      const ranNow = new Set<string>();
      // With nothing left to run, a scheduler is not needed: the run finishes here.
      if (executor.kind === "scheduler" && pending.length > 0) {
        await executor.submit(pending, file, run.path);
        run.endStatus = "submitted";
        return { dir: run.path, stages: [] };
      }
      if (executor.kind === "workers") {
        await runOnWorkers(pending, {
          run: run.path,
          devices: executor.devices,
          command: executor.command,
          log,
        });
        for (const c of pending) ranNow.add(c.id);
      } else {
        for (const cell of exec.plan.cells) {
          if (!pending.includes(cell)) continue;
          log(`reproduce: ${cell.id} → ${join(run.path, cell.dir)}`);
          const outcome: CellOutcome = await executeCell(exec, run.path, cell.id, file.keys[cell.id]);
          if (!outcome.reused) ranNow.add(cell.id);
        }
      }
      const outcomes = await recordStages(run, exec, file, ranNow);
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

/**
 * The top manifest's record of every cell (as a stage record) and of the datasets the stages used (the
 * stages' own manifests hold the exact example ids), and what each stage did this time.
 */
async function recordStages(
  run: RunDir,
  exec: ExecutablePlan,
  file: PlanFile,
  ranNow: ReadonlySet<string>,
): Promise<StageOutcome[]> {
  const outcomes: StageOutcome[] = [];
  const records = [];
  for (const stage of exec.plan.stages) {
    const name = stage.name as ReproduceStage;
    if (stage.status === "skipped") {
      outcomes.push({ stage: name, status: "skipped", dir: null, seconds: 0, reason: stage.reason! });
      continue;
    }
    let seconds = 0;
    for (const id of stage.cells) {
      const done = await readCellDone(run.path, id);
      if (done?.key !== file.keys[id]) throw new ActpatError(`finish ${run.path}`, `cell ${id} is not done`);
      records.push({
        name: id,
        inputsHash: done.key,
        reused: !ranNow.has(id),
        startedAt: done.startedAt,
        endedAt: done.endedAt,
        seconds: done.seconds,
      });
      if (ranNow.has(id)) seconds += done.seconds;
    }
    const dir = join(run.path, stage.dir);
    for (const d of (await readManifest(join(dir, "manifest.json"))).datasets) {
      await run.recordDataset({ name: d.name, split: d.split, files: d.files });
    }
    const ran = stage.cells.some((id) => ranNow.has(id));
    outcomes.push({ stage: name, status: ran ? "ran" : "reused", dir, seconds });
  }
  run.manifest.stages = records;
  await run.save();
  return outcomes;
}

/** Options of {@link runReproductionCell}. */
export interface CellRunOptions {
  /** The run directory (holds plan.json). */
  run: string;
  cell: string;
  /** Intra-op threads of this worker (its CPU slice). */
  threads?: number;
  load?: LoadOptions;
  quiet?: boolean;
  log?: (line: string) => void;
}

/**
 * Runs one cell of a started run, as a worker (local or a Slurm job) does: re-plans from the run's
 * `plan.json`, refuses when this actpat would plan that cell differently (another version, changed data), and
 * runs it under the key the run was planned with. Touches nothing of the run but the cell's own files.
 */
export async function runReproductionCell(opts: CellRunOptions): Promise<CellOutcome> {
  const file = await readPlanFile(opts.run);
  const exec = await planOf(
    {
      config: file.config,
      configPath: file.plan.configPath,
      only: file.only as ReproduceStage[] | undefined ?? undefined,
      load: opts.load,
      quiet: opts.quiet,
      log: opts.log,
    },
    true,
    opts.threads,
  );
  const planned = file.plan.cells.find((c) => c.id === opts.cell);
  const mine = exec.plan.cells.find((c) => c.id === opts.cell);
  if (!planned) {
    const ids = file.plan.cells.map((c) => c.id).join(", ");
    throw new ActpatError(`run cell ${opts.cell}`, `${opts.run}/plan.json has no such cell (cells: ${ids})`);
  }
  if (!mine || mine.hash !== planned.hash) {
    throw new ActpatError(
      `run cell ${opts.cell}`,
      `this actpat plans it differently from ${opts.run}/plan.json (another version, config or data); ` +
        "start the run again with deno task reproduce --out on it",
    );
  }
  return await executeCell(exec, opts.run, opts.cell, file.keys[opts.cell]);
}
