/**
 * `deno task table1`: the paper's Table 1 — the dense model, magnitude pruning, uniform Wanda, Wanda with the
 * paper's activation-based layer allocation, and OWL + Wanda at one sparsity, each evaluated on every task →
 * `table1.csv` (long format: one row per variant, task and metric) and `sparsity.csv` (per variant, layer and
 * linear). Each variant is a stage of the run directory, so an interrupted run resumes where it stopped.
 */
import type { CsvRow, CsvSchema } from "../../results/csv.ts";
import { UsageError } from "../../util/errors.ts";
import {
  cannotBeBuiltRows,
  CELL_STATUS_COLUMNS,
  runVariant,
  variantContext,
  variantSummary,
  writeVariantTables,
} from "./_variant.ts";
import {
  type Allocation,
  calibrationLabel,
  calibrationSeqLen,
  type CalibrationSet,
  calibrationSet,
  PAPER_LIST_MODELS,
  paperListFor,
  type PruneConfig,
  type PruneMethod,
  SPARSITY_SCHEMA,
} from "../prune/mod.ts";
import { type EvalConfig, evalTasks, openEvalTasks } from "../eval/mod.ts";
import { experimentRun, type RunOptions } from "../experiment_run.ts";

/** One row group of Table 1. */
export interface Table1Variant {
  label: string;
  method: PruneMethod | "dense";
  allocation: Allocation | "none";
}

/**
 * The rows: the paper's (dense, Wanda, "Wanda (ours)"), with "ours" twice: as the authors' code ran it
 * (`wanda-paper-lists`, their hard-coded per-layer lists; only for the four models they exist for) and as the
 * paper's text describes it (`wanda-activation`, the formula with α, β); plus magnitude and OWL.
 */
export const TABLE1_VARIANTS: readonly Table1Variant[] = [
  { label: "dense", method: "dense", allocation: "none" },
  { label: "magnitude", method: "magnitude", allocation: "uniform" },
  { label: "wanda", method: "wanda", allocation: "uniform" },
  { label: "wanda-paper-lists", method: "wanda", allocation: "paper-lists" },
  { label: "wanda-activation", method: "wanda", allocation: "activation-formula" },
  { label: "wanda-owl", method: "wanda", allocation: "owl" },
];

/**
 * The rows Table 1 has by default for a model with the authors' list `list` (null: none, so no
 * `wanda-paper-lists` row).
 */
export function table1Variants(list: string | null): readonly Table1Variant[] {
  return TABLE1_VARIANTS.filter((v) => v.allocation !== "paper-lists" || list !== null);
}

/** Columns of `table1.csv`. */
export const TABLE1_SCHEMA: CsvSchema = [
  { name: "model", type: "string", description: "model reference as given" },
  { name: "method", type: "string", description: "dense, magnitude or wanda" },
  {
    name: "allocation",
    type: "string",
    description: "layer allocation: none, uniform, paper-lists, activation-formula, owl",
  },
  { name: "sparsity", type: "number", description: "mean target sparsity (0 for dense)" },
  { name: "task", type: "string", description: "evaluated dataset" },
  { name: "metric", type: "string", description: "ppl, nll, acc, acc_norm (as eval.csv)" },
  { name: "value", type: "number", nullable: true, description: "metric value (empty: cannot be built)" },
  { name: "stderr", type: "number", nullable: true, description: "standard error (lm-eval mean_stderr)" },
  { name: "n", type: "integer", description: "examples scored (windows for ppl, tokens for nll)" },
  { name: "scoring", type: "string", description: "lm-eval, paper, or perplexity" },
  { name: "shots", type: "integer", description: "few-shot examples per prompt" },
  ...CELL_STATUS_COLUMNS,
];

/** Columns of table1's `sparsity.csv`: `sparsity.csv` of `prune` per variant. */
export const VARIANT_SPARSITY_SCHEMA: CsvSchema = [
  { name: "method", type: "string", description: "magnitude or wanda" },
  { name: "allocation", type: "string", description: "layer allocation" },
  ...SPARSITY_SCHEMA,
];

/** Options of {@link runTable1}. */
export interface Table1Options extends RunOptions {
  /** Pruning settings shared by the variants (method and allocation are set per variant). */
  prune: PruneConfig;
  eval: EvalConfig;
  /**
   * Labels of {@link TABLE1_VARIANTS} to run (default all; `wanda-paper-lists` only when the authors have a
   * list for the model, see paper_lists.ts).
   */
  variants?: string[];
  /** Keep each pruned checkpoint under `<run dir>/models/<label>` (default: removed after evaluation). */
  keepModels?: boolean;
  quiet?: boolean;
}

/** Runs Table 1 into a run directory; returns its path and the rows of `table1.csv`. */
export async function runTable1(opts: Table1Options): Promise<{ dir: string; rows: CsvRow[] }> {
  const list = opts.prune.paperList ?? paperListFor(opts.model);
  const defaults = table1Variants(list);
  if (list === null && !opts.quiet && opts.variants === undefined) {
    console.error(
      `table1: no wanda-paper-lists row: the authors' lists exist for ${PAPER_LIST_MODELS.join(", ")} only`,
    );
  }
  const variants = (opts.variants ?? defaults.map((v) => v.label)).map((label) => {
    const v = TABLE1_VARIANTS.find((x) => x.label === label);
    if (!v) {
      throw new UsageError(
        "parse --variants",
        `"${label}" is not one of ${TABLE1_VARIANTS.map((x) => x.label).join(", ")}`,
      );
    }
    return v;
  });
  const tasks = evalTasks(opts.eval.tasks, { splits: opts.eval.splits, scoring: opts.eval.scoring });
  const config = {
    model: opts.model,
    tokenizer: opts.tokenizer ?? null,
    variants: variants.map((v) => v.label),
    prune: { ...opts.prune, calibration: calibrationLabel(opts.prune.calibration) },
    eval: opts.eval,
    keepModels: opts.keepModels ?? false,
    dtype: opts.engine.dtype,
  };
  const spec = { ...opts, command: "table1", config, seed: opts.prune.seed };
  return await experimentRun(spec, async ({ run, model }) => {
    const opened = await openEvalTasks(tasks, opts.load);
    const ctx = variantContext(run, model, opened, opts);
    const rows: CsvRow[] = [];
    const sparsity: CsvRow[] = [];
    const summary: Record<string, unknown>[] = [];
    // Variants of one window length share one calibration set (OWL's may be shorter): built once, when a
    // variant first needs it.
    const calibrations = new Map<number, Promise<CalibrationSet>>();
    const sharedCalibration = (seqLen: number) => () => {
      let set = calibrations.get(seqLen);
      if (!set) {
        calibrations.set(
          seqLen,
          set = calibrationSet(opts.prune.calibration, model.tokenizer, {
            nsamples: opts.prune.nsamples,
            seqLen,
            seed: opts.prune.seed,
            load: opts.load,
            quiet: opts.quiet,
          }),
        );
      }
      return set;
    };
    for (const v of variants) {
      const prune: PruneConfig | null = v.method === "dense"
        ? null
        : { ...opts.prune, method: v.method, allocation: v.allocation as Allocation, paperList: list };
      if (!opts.quiet) console.error(`table1: ${v.label}`);
      const result = await runVariant(ctx, {
        stage: `table1.${v.label}`,
        label: v.label,
        prune,
        inputs: { variant: v },
        calibration: prune
          ? sharedCalibration(calibrationSeqLen(prune, model.config.maxPositionEmbeddings))
          : undefined,
      });
      const s = prune === null
        ? 0
        : prune.pattern === "unstructured"
        ? prune.sparsity
        : meanOf(result.targets);
      const cells = result.status === "cannot-be-built"
        ? cannotBeBuiltRows(opts.eval.tasks, opts.eval, result.reason!)
        : result.rows.map((r) => ({ ...r, status: "ok", reason: null }));
      for (const r of cells) {
        rows.push({ ...r, model: opts.model, method: v.method, allocation: v.allocation, sparsity: s });
      }
      for (const r of result.sparsity) sparsity.push({ method: v.method, allocation: v.allocation, ...r });
      summary.push({ variant: v.label, ...variantSummary(result) });
    }
    run.manifest.config = { ...run.manifest.config, variants: summary };
    await run.save();
    const ordered = await writeVariantTables(
      run,
      {
        file: "table1.csv",
        schema: TABLE1_SCHEMA,
        rows,
        description: "Table 1: every variant on every task",
        print: ["method", "allocation", "task", "metric", "value", "stderr", "n"],
      },
      {
        schema: VARIANT_SPARSITY_SCHEMA,
        rows: sparsity,
        description: "target and achieved sparsity per variant",
      },
      opts.quiet,
    );
    return { dir: run.path, rows: ordered };
  });
}

function meanOf(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
