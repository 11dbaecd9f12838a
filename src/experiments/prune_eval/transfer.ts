/**
 * `deno task transfer`: cross-task calibration transfer (the paper's Table 2) — the model is pruned once per
 * calibration set (corpus windows, or task prompts concatenated into windows as in the paper's code) and
 * each pruned model is evaluated on every task → `transfer.csv`, the calibration × task matrix in long
 * format. A calibration set whose data cannot be had is skipped with a line; each calibration is a stage.
 */
import type { CsvRow, CsvSchema } from "../../results/csv.ts";
import { ActpatError, UsageError } from "../../util/errors.ts";
import {
  cannotBeBuiltRows,
  CELL_STATUS_COLUMNS,
  runVariant,
  variantContext,
  type VariantResult,
  variantSummary,
  writeVariantTables,
} from "./_variant.ts";
import {
  calibrationLabel,
  type CalibrationSpec,
  checkCalibrationDataset,
  type PruneConfig,
} from "../prune/mod.ts";
import { type EvalConfig, evalTasks, openEvalTasks } from "../eval/mod.ts";
import { VARIANT_SPARSITY_SCHEMA } from "./table1.ts";
import { experimentRun, type RunOptions } from "../experiment_run.ts";

/** Columns of `transfer.csv`. */
export const TRANSFER_SCHEMA: CsvSchema = [
  { name: "model", type: "string", description: "model reference as given" },
  {
    name: "calibration",
    type: "string",
    description: "calibration set (dataset, or dataset:split as asked)",
  },
  { name: "calibration_split", type: "string", nullable: true, description: "split the calibration used" },
  { name: "task", type: "string", description: "evaluated dataset" },
  { name: "metric", type: "string", description: "ppl, nll, acc, acc_norm (as eval.csv)" },
  { name: "value", type: "number", nullable: true, description: "metric value (empty: cannot be built)" },
  { name: "stderr", type: "number", nullable: true, description: "standard error (lm-eval mean_stderr)" },
  { name: "n", type: "integer", description: "examples scored" },
  { name: "scoring", type: "string", description: "lm-eval, paper, or perplexity" },
  { name: "shots", type: "integer", description: "few-shot examples per prompt" },
  { name: "method", type: "string", description: "pruning method" },
  { name: "allocation", type: "string", description: "layer allocation" },
  { name: "sparsity", type: "number", description: "mean target sparsity" },
  ...CELL_STATUS_COLUMNS,
];

/** Options of {@link runTransfer}. */
export interface TransferOptions extends RunOptions {
  calibrations: CalibrationSpec[];
  /** Pruning settings; `calibration` is replaced by each of `calibrations`. */
  prune: PruneConfig;
  eval: EvalConfig;
  /** Also evaluate the dense model (calibration "dense"). */
  dense?: boolean;
  keepModels?: boolean;
  quiet?: boolean;
}

/** The resumable stage of one calibration set (`c4:train` → `transfer.c4-train`). */
function transferStageName(calibration: string): string {
  return `transfer.${calibration.replace(":", "-")}`;
}

/** A calibration skipped because its data cannot be had (the reason), else null. */
function unavailable(err: unknown): string | null {
  if (!(err instanceof ActpatError)) return null;
  return /^Cannot (load dataset |calibrate on "[^"]*": no split)/.test(err.message) ? err.message : null;
}

/** Runs the transfer matrix into a run directory. */
export async function runTransfer(opts: TransferOptions): Promise<{ dir: string; rows: CsvRow[] }> {
  if (opts.calibrations.length === 0) {
    throw new UsageError("parse --calibrations", "no calibration set given");
  }
  for (const c of opts.calibrations) checkCalibrationDataset(c.dataset);
  const labels = opts.calibrations.map(calibrationLabel);
  const dup = labels.find((l, i) => labels.indexOf(l) !== i);
  if (dup) throw new UsageError("parse --calibrations", `"${dup}" is listed twice`);
  const tasks = evalTasks(opts.eval.tasks, { splits: opts.eval.splits, scoring: opts.eval.scoring });
  const config = {
    model: opts.model,
    tokenizer: opts.tokenizer ?? null,
    calibrations: labels,
    prune: { ...opts.prune, calibration: null },
    eval: opts.eval,
    dense: opts.dense ?? false,
    keepModels: opts.keepModels ?? false,
    dtype: opts.engine.dtype,
  };
  const spec = { ...opts, command: "transfer", config, seed: opts.prune.seed };
  return await experimentRun(spec, async ({ run, model }) => {
    const opened = await openEvalTasks(tasks, opts.load);
    const ctx = variantContext(run, model, opened, opts);
    const rows: CsvRow[] = [];
    const sparsity: CsvRow[] = [];
    const summary: Record<string, unknown>[] = [];
    const skippedCalibrations: { calibration: string; reason: string }[] = [];
    const entries: { label: string; spec: CalibrationSpec | null }[] = [
      ...(opts.dense ? [{ label: "dense", spec: null }] : []),
      ...opts.calibrations.map((spec, i) => ({ label: labels[i], spec })),
    ];
    for (const { label, spec } of entries) {
      const prune: PruneConfig | null = spec === null ? null : { ...opts.prune, calibration: spec };
      if (!opts.quiet) console.error(`transfer: calibration ${label}`);
      let result: VariantResult;
      try {
        result = await runVariant(ctx, { stage: transferStageName(label), label, prune });
      } catch (err) {
        const reason = unavailable(err);
        if (reason === null) throw err;
        skippedCalibrations.push({ calibration: label, reason });
        if (!opts.quiet) console.error(`skip calibration ${label}: ${reason}`);
        continue;
      }
      const calib = result.pruning?.calibration as { split?: string } | null | undefined;
      const common = {
        calibration: label,
        calibration_split: calib?.split ?? null,
        method: prune ? prune.method : "dense",
        allocation: prune ? prune.allocation : "none",
        sparsity: prune ? prune.sparsity : 0,
      };
      const cells = result.status === "cannot-be-built"
        ? cannotBeBuiltRows(opts.eval.tasks, opts.eval, result.reason!)
        : result.rows.map((r) => ({ ...r, status: "ok", reason: null }));
      for (const r of cells) rows.push({ model: opts.model, ...r, ...common });
      if (prune) {
        for (const r of result.sparsity) {
          sparsity.push({ method: `${prune.method}@${label}`, allocation: prune.allocation, ...r });
        }
      }
      summary.push({ calibration: label, ...variantSummary(result) });
    }
    run.manifest.config = { ...run.manifest.config, runs: summary, skippedCalibrations };
    await run.save();
    const ordered = await writeVariantTables(
      run,
      {
        file: "transfer.csv",
        schema: TRANSFER_SCHEMA,
        rows,
        description: "calibration set × evaluated task",
        print: ["calibration", "task", "metric", "value", "stderr", "n"],
      },
      {
        schema: VARIANT_SPARSITY_SCHEMA,
        rows: sparsity,
        description: "target and achieved sparsity per calibration (method column: method@calibration)",
      },
      opts.quiet,
    );
    return { dir: run.path, rows: ordered };
  });
}
