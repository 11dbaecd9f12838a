/**
 * The settings a stage runs with, resolved for `reproduce --plan`: what the config leaves implicit (the
 * layers a range names on this model, a row's per-layer sparsities, the calibration split and its draws, the
 * evaluation's scoring) written out, or where it comes from when only running can tell.
 */
import { DATASETS, openDataset, paperStsRows } from "../../data/mod.ts";
import { plannedSampleIds } from "../activation/mod.ts";
import { resolveStsSplit } from "../sts/mod.ts";
import { defaultEvalConfig, type EvalConfig, evalTasks, PAPER_EVAL_SAMPLES, taskShots } from "../eval/mod.ts";
import { parseLayerRangeSpec, resolveLayerRange } from "../layer_ranges.ts";
import {
  defaultCalibrationSplit,
  PAPER_SPARSITY_LISTS,
  paperListAllocation,
  parseCalibration,
  uniformAllocation,
} from "../prune/mod.ts";
import type { Table1Variant } from "../prune_eval/mod.ts";
import type { StageContext } from "./stages.ts";

/**
 * How an activation stage draws its inputs: `lists` are drawn each from a generator of its own (density: one
 * list of every dataset; similarity and relevance: one per pair), datasets in turn; the row ids where they
 * follow from the split sizes (plannedSampleIds), keyed by dataset, or by pair (first and second side).
 */
export function sampleDraw(ctx: StageContext, samples: number, lists: readonly (readonly string[])[]) {
  const seed = ctx.config.activationSeed;
  const drawn = lists.map((names) =>
    plannedSampleIds(names.map((n) => ({ dataset: n, split: ctx.sampleSplit(n) })), samples, seed)
  );
  const ids = lists.length === 1
    ? Object.fromEntries(lists[0].map((n, i) => [n, drawn[0][i]]))
    : Object.fromEntries(lists.map((names, i) => [names.join(":"), drawn[i]]));
  return {
    samples,
    splits: Object.fromEntries([...new Set(lists.flat())].map((n) => [n, ctx.sampleSplit(n)])),
    draws: `Python random.seed(${seed}) per ${lists.length === 1 ? "stage" : "pair"}, datasets in turn`,
    ids,
  };
}

/**
 * The STS pairs each benchmark draws (llama_sts.py as sts.ts runs it: STS-B's first rows in file order, SICK's
 * first of a seeded shuffle), from the registry's split sizes.
 */
export function stsRows(
  ctx: StageContext,
  c: { benchmarks: readonly string[]; split: string; samples: number },
) {
  return Object.fromEntries(c.benchmarks.map((b) => {
    try {
      const split = resolveStsSplit(openDataset(b, ctx.load), c.split);
      const rows = DATASETS.get(b).splits[split].rows;
      return [b, {
        split,
        ids: paperStsRows(b as "stsb" | "sick", rows, { times: c.samples, seed: ctx.config.activationSeed }),
      }];
    } catch (err) {
      return [b, `cannot be drawn: ${(err as Error).message}`];
    }
  }));
}

/** A layer range spec with the layers it names on this model, when its depth is known. */
export function rangeWithLayers(spec: string, numLayers: number | null) {
  if (numLayers === null) return { spec, layers: "resolved against the model's depth when the cell runs" };
  try {
    const r = resolveLayerRange(parseLayerRangeSpec(spec), numLayers);
    return { spec, layers: `${r.first}-${r.last}` };
  } catch (err) {
    return { spec, layers: `cannot be resolved: ${(err as Error).message}` };
  }
}

/** The calibration set of a pruning cell, as `calibrationSet` builds it. */
export function calibrationSource(text: string, nsamples: number, seqLen: number, seed: number) {
  const c = parseCalibration(text);
  return {
    dataset: c.dataset,
    split: c.split ?? defaultCalibrationSplit(c.dataset),
    nsamples,
    seqLen,
    draws: `Python random.seed(${seed}) as wanda/lib/data.py`,
  };
}

/** Per-layer target sparsities of a Table 1 row, where they follow from the config alone. */
export function rowSparsities(
  v: Table1Variant,
  c: { sparsity: number; alpha: number; beta: number; gamma: string; calibration: string },
  list: string | null,
  numLayers: number | null,
): unknown {
  switch (v.allocation) {
    case "none":
      return "dense (0 everywhere)";
    case "uniform":
      return numLayers === null ? `${c.sparsity} in every layer` : uniformAllocation(numLayers, c.sparsity);
    case "paper-lists":
      try {
        // Without the model's depth, the list's own length (the check against the model happens when it runs).
        const own = list === null
          ? undefined
          : (PAPER_SPARSITY_LISTS as Record<string, readonly number[]>)[list];
        return paperListAllocation(list, { layers: numLayers ?? own?.length ?? 0, sparsity: c.sparsity });
      } catch (err) {
        return `cannot be had: ${(err as Error).message}`;
      }
    case "activation-formula":
      return `from this cell: α = ${c.alpha}, β = ${c.beta} over the counts above γ = ${c.gamma} of its ` +
        `calibration set (${c.calibration})`;
    case "owl":
      return `from this cell: OWL's outlier ratios of its calibration set (${c.calibration})`;
  }
}

/** The evaluation of a pruning stage, resolved. */
export function evalSettings(
  c: { tasks: string[]; limit: number | null; seqLen: number; scoring: EvalConfig["scoring"] },
  ctx: StageContext,
) {
  const e = defaultEvalConfig({
    tasks: c.tasks,
    limit: c.limit,
    scoring: c.scoring,
    seqLen: c.seqLen,
    splits: ctx.config.splits,
  });
  const tasks = evalTasks(e.tasks, { splits: ctx.config.splits, scoring: e.scoring });
  return {
    tasks: tasks.map((t) => ({ task: t.name, split: t.split, shots: taskShots(t.name, e.scoring, e.shots) })),
    scoring: e.scoring,
    rows: e.scoring === "paper"
      ? `${PAPER_EVAL_SAMPLES} per task as eval_one_shot draws them, after WikiText-2 train windows whose count ` +
        "depends on its tokenization: drawn when the cell runs, listed in its manifest"
      : e.limit === null
      ? "all rows of each split"
      : `the first ${e.limit} rows of each split (lm-eval's --limit)`,
    perplexitySeqLen: e.seqLen,
  };
}
