/**
 * What table1 and transfer share: prune a model into a folder under the run directory, evaluate the pruned
 * model, and drop the folder unless it is to be kept; every variant is one resumable stage.
 */
import { join } from "node:path";
import type { LoadOptions } from "../../data/mod.ts";
import type { LlamaRunOptions } from "../../model/llama/mod.ts";
import type { LoadedModel } from "../../model/load_model.ts";
import { contentHash } from "../../results/content_hash.ts";
import type { CsvRow, CsvSchema } from "../../results/csv.ts";
import type { DatasetRecord } from "../../results/manifest.ts";
import { type RunDir, runStage } from "../../results/run_dir.ts";
import type { ComputeDType } from "../../model/llama/_weights.ts";
import { type EvalConfig, evaluateModel, type OpenedTask, printRows, taskShots } from "../eval/mod.ts";
import { type CalibrationSet, type PruneConfig, pruneModel, sparsityRows } from "../prune/mod.ts";
import { CalibrationUnbuildable } from "../prune/calibration_unbuildable.ts";
import type { EngineOptions } from "../engine_options.ts";
import type { RunOptions } from "../experiment_run.ts";

/** The last columns of table1's and transfer's tables: whether the cell could be built, and why not. */
export const CELL_STATUS_COLUMNS: CsvSchema = [
  {
    name: "status",
    type: "string",
    description:
      "ok, or cannot-be-built when the cell's calibration set cannot be built from the data at hand",
  },
  { name: "reason", type: "string", nullable: true, description: "why the cell cannot be built" },
];

/** A stage's stored result (plain JSON). */
export interface VariantResult {
  /**
   * "cannot-be-built": its calibration set cannot be built from the data at hand (calibration_unbuildable.ts);
   * `reason` says why, `rows` is empty, and the run goes on with the other variants.
   */
  status?: "ok" | "cannot-be-built";
  reason?: string;
  rows: CsvRow[];
  sparsity: CsvRow[];
  targets: number[];
  datasets: DatasetRecord[];
  skipped: { task: string; reason: string }[];
  pruning: Record<string, unknown> | null;
  pruneSeconds: number;
  evalSeconds: number;
}

/** Options of {@link pruneAndEvaluate}. */
export interface PruneEvalOptions {
  /** Folder of this variant's checkpoint; kept as a loadable checkpoint with `keep` (Hugging Face sources). */
  dir: string;
  keep: boolean;
  opened: OpenedTask[];
  /** The calibration set of `prune`, already built. */
  calibration?: () => Promise<CalibrationSet>;
  run?: LlamaRunOptions;
  load?: LoadOptions;
  quiet?: boolean;
}

/** Evaluates `model` as is (`prune` null) or pruned as `prune` says. */
export async function pruneAndEvaluate(
  model: LoadedModel,
  label: string,
  prune: PruneConfig | null,
  evalConfig: EvalConfig,
  options: PruneEvalOptions,
): Promise<VariantResult> {
  const common = { run: options.run, load: options.load, opened: options.opened, quiet: options.quiet };
  if (prune === null) {
    const t0 = performance.now();
    const outcome = await evaluateModel(model, label, evalConfig, common);
    return {
      rows: outcome.rows,
      sparsity: [],
      targets: new Array(model.config.numLayers).fill(0),
      datasets: outcome.datasets,
      skipped: outcome.skipped,
      pruning: null,
      pruneSeconds: 0,
      evalSeconds: (performance.now() - t0) / 1000,
    };
  }
  const save = options.keep && model.format === "hf";
  try {
    const needsCalibration = prune.method === "wanda" || prune.allocation === "owl";
    let calibration: CalibrationSet | undefined;
    try {
      calibration = needsCalibration && options.calibration ? await options.calibration() : undefined;
    } catch (err) {
      if (!(err instanceof CalibrationUnbuildable)) throw err;
      return cannotBeBuilt(model, err);
    }
    let pruned;
    try {
      pruned = await pruneModel(model, prune, {
        calibration,
        run: options.run,
        load: options.load,
        spillDir: options.dir,
        save,
        quiet: options.quiet,
      });
    } catch (err) {
      // pruneModel builds the calibration set itself when none was given (transfer: one per cell).
      if (!(err instanceof CalibrationUnbuildable)) throw err;
      return cannotBeBuilt(model, err);
    }
    const t0 = performance.now();
    const outcome = await evaluateModel(
      { config: model.config, weights: pruned.weights, tokenizer: model.tokenizer },
      label,
      evalConfig,
      common,
    );
    return {
      rows: outcome.rows,
      sparsity: sparsityRows(pruned.modules),
      targets: pruned.targets,
      datasets: [...pruned.datasets, ...outcome.datasets],
      skipped: outcome.skipped,
      pruning: pruned.description,
      pruneSeconds: pruned.seconds,
      evalSeconds: (performance.now() - t0) / 1000,
    };
  } finally {
    if (!options.keep) await Deno.remove(options.dir, { recursive: true }).catch(() => {});
  }
}

/** The result of a variant whose calibration set cannot be built. */
function cannotBeBuilt(model: LoadedModel, err: CalibrationUnbuildable): VariantResult {
  return {
    status: "cannot-be-built",
    reason: err.message,
    rows: [],
    sparsity: [],
    targets: new Array(model.config.numLayers).fill(0),
    datasets: [],
    skipped: [],
    pruning: { cannotBeBuilt: err.cell },
    pruneSeconds: 0,
    evalSeconds: 0,
  };
}

/**
 * Rows of a results table for a variant that cannot be built: one per evaluated task, metric
 * `cannot-be-built`, value null, `status` and `reason` set (so the table shows the cell and why).
 */
export function cannotBeBuiltRows(
  tasks: readonly string[],
  evalConfig: EvalConfig,
  reason: string,
): CsvRow[] {
  return tasks.map((task) => ({
    task,
    metric: "cannot-be-built",
    value: null,
    stderr: null,
    n: 0,
    scoring: evalConfig.scoring,
    shots: taskShots(task, evalConfig.scoring, evalConfig.shots),
    status: "cannot-be-built",
    reason,
  }));
}

/** What every variant of one run shares. */
export interface VariantContext {
  run: RunDir;
  model: LoadedModel;
  /** The model reference as given (labels the evaluation rows). */
  modelRef: string;
  tokenizer: string | null;
  eval: EvalConfig;
  dtype: ComputeDType;
  keep: boolean;
  opened: OpenedTask[];
  engine: EngineOptions;
  load?: LoadOptions;
  quiet?: boolean;
}

/** The {@link VariantContext} of a run from the options table1 and transfer share. */
export function variantContext(
  run: RunDir,
  model: LoadedModel,
  opened: OpenedTask[],
  opts: Pick<RunOptions, "model" | "tokenizer" | "engine" | "load" | "quiet"> & {
    eval: EvalConfig;
    keepModels?: boolean;
  },
): VariantContext {
  return {
    run,
    model,
    modelRef: opts.model,
    tokenizer: opts.tokenizer ?? null,
    eval: opts.eval,
    dtype: opts.engine.dtype,
    keep: opts.keepModels ?? false,
    opened,
    engine: opts.engine,
    load: opts.load,
    quiet: opts.quiet,
  };
}

/**
 * Runs one variant (`prune` null: the dense model) as the resumable stage `stage` of the run, keyed by the
 * model, tokenizer, pruning, evaluation and dtype plus `inputs`, and records the datasets it used.
 */
export async function runVariant(
  ctx: VariantContext,
  variant: {
    stage: string;
    label: string;
    prune: PruneConfig | null;
    inputs?: Record<string, unknown>;
    calibration?: () => Promise<CalibrationSet>;
  },
): Promise<VariantResult> {
  const inputs = contentHash({
    model: ctx.model.files.map((f) => f.sha256),
    tokenizer: ctx.tokenizer,
    ...variant.inputs,
    prune: variant.prune,
    eval: ctx.eval,
    dtype: ctx.dtype,
  });
  const result = await runStage<VariantResult>(
    ctx.run,
    variant.stage,
    inputs,
    () =>
      pruneAndEvaluate(ctx.model, ctx.modelRef, variant.prune, ctx.eval, {
        dir: variantDir(ctx.run.path, variant.label),
        keep: ctx.keep,
        opened: ctx.opened,
        calibration: variant.calibration,
        run: ctx.engine,
        load: ctx.load,
        quiet: ctx.quiet,
      }),
  );
  for (const d of result.datasets) await ctx.run.recordDataset(d);
  return result;
}

/** A variant's entry in the run manifest. */
export function variantSummary(result: VariantResult): Record<string, unknown> {
  return {
    status: result.status ?? "ok",
    ...(result.reason ? { reason: result.reason } : {}),
    targets: result.targets,
    skipped: result.skipped,
    pruneSeconds: result.pruneSeconds,
    evalSeconds: result.evalSeconds,
    pruning: result.pruning,
  };
}

/**
 * Writes the run's results table (`rows` in `schema`'s columns and order) and its `sparsity.csv`, prints the
 * table unless quiet, and returns the ordered rows.
 */
export async function writeVariantTables(
  run: RunDir,
  table: { file: string; schema: CsvSchema; rows: readonly CsvRow[]; description: string; print: string[] },
  sparsity: { schema: CsvSchema; rows: readonly CsvRow[]; description: string },
  quiet?: boolean,
): Promise<CsvRow[]> {
  const ordered = table.rows.map((r) =>
    Object.fromEntries(table.schema.map((c) => [c.name, r[c.name] ?? null]))
  );
  await run.writeCsv(table.file, table.schema, ordered, table.description);
  await run.writeCsv("sparsity.csv", sparsity.schema, [...sparsity.rows], sparsity.description);
  if (!quiet) printRows(ordered, table.print);
  return ordered;
}

/** Folder of a variant's checkpoint inside a run directory. */
export function variantDir(runPath: string, label: string): string {
  return join(runPath, "models", label.replace(/[^\w.-]+/g, "_"));
}
