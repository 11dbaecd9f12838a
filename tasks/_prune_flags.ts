/**
 * Flags shared by prune, table1 and transfer: calibration, sampling, and the allocation parameters, with
 * their parsing into a {@link PruneConfig}; plus the evaluation flags of table1 and transfer (from EvalSettings).
 */
import { type PruneConfig, pruneConfigOf, PruneSettings } from "../src/experiments/prune/mod.ts";
import { type EvalConfig, EvalSettings } from "../src/experiments/eval/mod.ts";
import { schemaFlags, schemaHelp, schemaValues } from "./_schema_flags.ts";

/** Calibration and allocation flags ({@link PruneSettings}'). */
export const PRUNE_FLAGS = schemaFlags(PruneSettings);

/** Help lines of {@link PRUNE_FLAGS}, less the `omit` fields (transfer takes a list of calibrations). */
export function pruneHelp(omit: readonly (keyof PruneSettings)[] = []): string {
  const mask = Object.fromEntries(omit.map((k) => [k, true])) as Partial<Record<keyof PruneSettings, true>>;
  return schemaHelp(PruneSettings.omit(mask));
}

/** A {@link PruneConfig} from the flags (method and allocation given by the caller). */
export function pruneConfigFrom(
  values: Record<string, unknown>,
  fixed: Pick<PruneConfig, "method" | "allocation">,
): PruneConfig {
  return pruneConfigOf(schemaValues(PruneSettings, values), fixed);
}

/** Flag names of the evaluation settings in table1 and transfer, where the prune flags take the plain ones. */
const EVAL_RENAME = { seqLen: "eval-seq-len", batchSize: "eval-batch-size" };

/** Evaluation flags of table1 and transfer ({@link EvalSettings}'). */
export const EVAL_FLAGS = schemaFlags(EvalSettings, EVAL_RENAME);

/** Help lines of {@link EVAL_FLAGS}, with the command's default tasks. */
export function evalHelp(tasks: readonly string[]): string {
  return schemaHelp(EvalSettings, { rename: EVAL_RENAME, defaults: { tasks } });
}

/** An {@link EvalConfig} from {@link EVAL_FLAGS}, with the command's default tasks. */
export function evalConfigFrom(values: Record<string, unknown>, tasks: readonly string[]): EvalConfig {
  return schemaValues(EvalSettings, values, { rename: EVAL_RENAME, defaults: { tasks: [...tasks] } });
}
