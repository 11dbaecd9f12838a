/**
 * `deno task eval`: WikiText-2 perplexity and zero-shot (or few-shot) multiple-choice accuracy of a model
 * ({@link evaluateModel}), written as `eval.csv` (one row per task and metric) and `eval_items.csv` (one row
 * per scored example) in a run directory ({@link runEval}). Tasks whose split cannot be had are skipped with
 * a printed line and listed in the manifest.
 */
import type { LoadOptions } from "../../data/mod.ts";
import { type LlamaModel, LlamaRunner, type LlamaRunOptions } from "../../model/llama/mod.ts";
import type { Tokenizer } from "../../model/tokenizer.ts";
import type { CsvRow, CsvSchema } from "../../results/csv.ts";
import { type DatasetRecord } from "../../results/manifest.ts";
import { ActpatError, UsageError } from "../../util/errors.ts";
import { multipleChoiceAccuracy } from "./multiple_choice.ts";
import { corpusPerplexity } from "./perplexity.ts";
import { EvalSettings } from "./settings.ts";
import { evalTasks, type OpenedTask, openEvalTasks } from "./tasks.ts";
import { type PaperEvalDraws, paperEvalDraws } from "./paper_protocol.ts";
import { experimentRun, type RunOptions } from "../experiment_run.ts";

/** How to evaluate (everything but the model): the {@link EvalSettings} and the splits they read. */
export type EvalConfig = EvalSettings & {
  /** Split per task replacing the one its dataset file names for the scoring, e.g. an embedded piece. */
  splits?: Record<string, string>;
};

/** {@link EvalSettings}' defaults with `overrides`. */
export function defaultEvalConfig(overrides: Partial<EvalConfig> = {}): EvalConfig {
  return { ...EvalSettings.parse({}), ...overrides };
}

/** Columns of `eval.csv`. */
export const EVAL_SCHEMA: CsvSchema = [
  { name: "model", type: "string", description: "model evaluated (reference or label)" },
  { name: "task", type: "string", description: "dataset" },
  {
    name: "metric",
    type: "string",
    description: "ppl (perplexity), nll (mean token NLL, nats), acc, acc_norm (lm-eval, by choice length)",
  },
  { name: "value", type: "number", description: "metric value" },
  { name: "stderr", type: "number", nullable: true, description: "standard error (lm-eval mean_stderr)" },
  { name: "n", type: "integer", description: "examples scored (windows for ppl, tokens for nll)" },
  { name: "scoring", type: "string", description: "lm-eval, paper (last-token choice), or perplexity" },
  { name: "shots", type: "integer", description: "few-shot examples in each prompt" },
];

/** Columns of `eval_items.csv`. */
export const ITEMS_SCHEMA: CsvSchema = [
  { name: "model", type: "string", description: "model evaluated" },
  { name: "task", type: "string", description: "dataset" },
  { name: "split", type: "string", description: "split evaluated" },
  { name: "id", type: "integer", description: "row of the split" },
  { name: "gold", type: "integer", description: "index of the correct choice" },
  {
    name: "pred",
    type: "integer",
    description: "predicted choice (summed log-likelihood, or the paper's last token)",
  },
  {
    name: "pred_norm",
    type: "integer",
    nullable: true,
    description: "lm-eval: prediction by normalised log-likelihood",
  },
];

/** What {@link evaluateModel} returns. */
export interface EvalOutcome {
  rows: CsvRow[];
  items: CsvRow[];
  datasets: DatasetRecord[];
  skipped: { task: string; reason: string }[];
}

/** Options of {@link evaluateModel}. */
export interface EvaluateOptions {
  run?: LlamaRunOptions;
  load?: LoadOptions;
  /** Tasks already opened (several models evaluated on the same tasks). */
  opened?: OpenedTask[];
  quiet?: boolean;
}

/** Evaluates a model on every task of `config`; `label` fills the `model` column. */
export async function evaluateModel(
  model: LlamaModel & { tokenizer: Tokenizer },
  label: string,
  config: EvalConfig,
  options: EvaluateOptions = {},
): Promise<EvalOutcome> {
  const opened = options.opened ??
    await openEvalTasks(
      evalTasks(config.tasks, { splits: config.splits, scoring: config.scoring }),
      options.load,
    );
  for (const o of opened) {
    const spec = "dataset" in o ? o.dataset.spec : undefined;
    if (
      spec?.kind === "multiple-choice" && config.scoring === "lm-eval" && (config.shots ?? 0) > 0 &&
      !spec.task.fewshot
    ) {
      throw new ActpatError(
        `evaluate ${spec.name} with --shots ${config.shots}`,
        "lm-eval samples its few-shot examples at random from the training split; only --shots 0 is supported " +
          "(MMLU takes few-shot examples from dev; --scoring paper takes shots for every task)",
      );
    }
  }
  const seqLen = config.seqLen ?? model.config.maxPositionEmbeddings;
  const draws = config.scoring === "paper"
    ? await paperDraws(opened, model.tokenizer, seqLen, options.load)
    : null;
  const runner = new LlamaRunner(model, options.run ?? {});
  const out: EvalOutcome = { rows: [], items: [], datasets: [], skipped: [] };
  const limits = { batchSize: config.batchSize, batchTokens: config.batchTokens };
  const limit = config.limit ?? undefined;
  if (draws && "wikitextRecord" in draws) out.datasets.push(draws.wikitextRecord);
  try {
    for (const o of opened) {
      const { task } = o;
      if ("skipped" in o) {
        out.skipped.push({ task: task.name, reason: o.skipped });
        if (!options.quiet) console.error(`skip ${task.name}: ${o.skipped}`);
        continue;
      }
      if (task.kind === "perplexity") {
        const { result, record } = await corpusPerplexity(runner, model.tokenizer, o.dataset, task.split, {
          ...limits,
          seqLen,
          limit,
          quiet: options.quiet,
        });
        const base = { model: label, task: task.name, stderr: null, scoring: "perplexity", shots: 0 };
        out.rows.push({ ...base, metric: "ppl", value: result.ppl, n: result.windows });
        out.rows.push({ ...base, metric: "nll", value: result.meanNll, n: result.tokens });
        out.datasets.push(record);
        continue;
      }
      if (draws && "unavailable" in draws) {
        out.skipped.push({ task: task.name, reason: draws.unavailable });
        if (!options.quiet) console.error(`skip ${task.name}: ${draws.unavailable}`);
        continue;
      }
      const r = await multipleChoiceAccuracy(runner, model.tokenizer, o.dataset, task.split, {
        ...limits,
        scoring: config.scoring,
        shots: config.shots,
        rows: draws ? paperRows(draws, task.name) : undefined,
        limit,
        addBos: config.addBos,
        maxLength: config.maxLength ?? model.config.maxPositionEmbeddings,
        quiet: options.quiet,
      });
      const base = { model: label, task: task.name, scoring: config.scoring, shots: r.shots };
      out.rows.push({
        ...base,
        metric: "acc",
        value: r.acc.value,
        stderr: nullable(r.acc.stderr),
        n: r.acc.n,
      });
      if (r.accNorm) {
        out.rows.push({
          ...base,
          metric: "acc_norm",
          value: r.accNorm.value,
          stderr: nullable(r.accNorm.stderr),
          n: r.accNorm.n,
        });
      }
      for (const it of r.items) {
        out.items.push({
          model: label,
          task: task.name,
          split: task.split,
          id: it.id,
          gold: it.gold,
          pred: it.pred,
          pred_norm: it.predNorm,
        });
      }
      out.datasets.push(...r.records);
    }
  } finally {
    await runner.release();
  }
  return out;
}

/**
 * The paper's draws over the opened tasks (their splits and loaded row counts), or null when no choice task
 * is to be scored.
 */
async function paperDraws(
  opened: readonly OpenedTask[],
  tokenizer: Tokenizer,
  seqLen: number,
  load: LoadOptions | undefined,
): Promise<PaperEvalDraws | { unavailable: string } | null> {
  const choice = opened.flatMap((o) => "dataset" in o && o.task.kind === "multiple-choice" ? [o] : []);
  if (choice.length === 0) return null;
  const rows = await Promise.all(
    choice.map(async (o) => [o.task.name, (await o.dataset.split(o.task.split)).docs.length] as const),
  );
  return await paperEvalDraws(tokenizer, {
    seqLen,
    splits: Object.fromEntries(opened.map((o) => [o.task.name, o.task.split])),
    rows: Object.fromEntries(rows),
    load,
  });
}

/** The paper's rows of `task`, or why there are none. */
function paperRows(draws: PaperEvalDraws, task: string): { ids: number[]; after: string[] } {
  const ids = draws.ids[task];
  if (!ids) {
    throw new ActpatError(
      `score "${task}" the paper's way`,
      `eval_one_shot draws rows for ${Object.keys(draws.ids).join(", ")} only`,
    );
  }
  return { ids, after: draws.after[task] };
}

/** lm-eval's stderr is NaN for one example; the CSV says "unknown" as an empty cell. */
function nullable(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** Options of {@link runEval}. */
export interface EvalRunOptions extends RunOptions {
  config: EvalConfig;
}

/** Runs `deno task eval`: one run directory with `eval.csv` and `eval_items.csv`. */
export async function runEval(opts: EvalRunOptions): Promise<{ dir: string; rows: CsvRow[] }> {
  const tasks = evalTasks(opts.config.tasks, { splits: opts.config.splits, scoring: opts.config.scoring });
  const stray = Object.keys(opts.config.splits ?? {}).filter((name) => !opts.config.tasks.includes(name));
  if (stray.length) {
    throw new UsageError(
      "parse --split",
      `${stray.join(", ")} is not among the tasks (${opts.config.tasks.join(", ")})`,
    );
  }
  if (opts.config.limit !== null && !(Number.isInteger(opts.config.limit) && opts.config.limit > 0)) {
    throw new UsageError("parse --limit", `${opts.config.limit} is not a positive integer`);
  }
  const config = {
    model: opts.model,
    tokenizer: opts.tokenizer ?? null,
    ...opts.config,
    dtype: opts.engine.dtype,
  };
  const load = opts.load ?? {};
  return await experimentRun({ ...opts, command: "eval", config, seed: null }, async ({ run, model }) => {
    const opened = await openEvalTasks(tasks, load);
    const result = await evaluateModel(model, opts.model, opts.config, {
      run: opts.engine,
      load,
      opened,
      quiet: opts.quiet,
    });
    for (const d of result.datasets) await run.recordDataset(d);
    run.manifest.config = { ...run.manifest.config, skipped: result.skipped };
    await run.save();
    await run.writeCsv("eval.csv", EVAL_SCHEMA, result.rows, "metrics per task (perplexity, accuracy)");
    await run.writeCsv(
      "eval_items.csv",
      ITEMS_SCHEMA,
      result.items,
      "per-example predictions of the choice tasks",
    );
    if (!opts.quiet) printRows(result.rows);
    return { dir: run.path, rows: result.rows };
  });
}

/** Prints metric rows as an aligned table on stdout. */
export function printRows(
  rows: readonly CsvRow[],
  columns = ["model", "task", "metric", "value", "stderr", "n"],
): void {
  const cell = (v: unknown) => typeof v === "number" && !Number.isInteger(v) ? v.toFixed(4) : String(v ?? "");
  const table = [columns, ...rows.map((r) => columns.map((c) => cell(r[c])))];
  const widths = columns.map((_, i) => Math.max(...table.map((r) => r[i].length)));
  for (const r of table) console.log(r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd());
}
