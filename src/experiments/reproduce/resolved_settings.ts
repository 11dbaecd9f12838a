/**
 * The settings a stage runs with, resolved for `reproduce --plan`: what the config leaves implicit (the
 * layers a range names on this model, a row's per-layer sparsities, the calibration split and its draws, the
 * evaluation's scoring) written out, or where it comes from when only running can tell.
 */
import { defaultEvalConfig } from "../eval/mod.ts";
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

/** How the activation stages draw their inputs (the ids themselves are in each stage's manifest). */
export function sampleDraw(ctx: StageContext, samples: number) {
  return {
    samples,
    draws: `Python random.seed(${ctx.config.activationSeed}), one generator continued across datasets`,
    ids: "drawn when the cell runs; listed in its manifest (datasets[].examples.ids, windows)",
  };
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
  c: { tasks: string[]; limit: number | null; seqLen: number },
  ctx: StageContext,
) {
  const e = defaultEvalConfig({
    tasks: c.tasks,
    limit: c.limit,
    seqLen: c.seqLen,
    splits: ctx.config.splits,
  });
  return {
    tasks: e.tasks.map((t) => ({ task: t, split: ctx.config.splits[t] ?? "the task's evaluation split" })),
    limit: e.limit ?? "all rows",
    scoring: e.scoring,
    shots: e.shots,
    perplexitySeqLen: e.seqLen,
  };
}
