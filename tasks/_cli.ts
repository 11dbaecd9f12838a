/**
 * Flags shared by every task that runs a model, and their validation. Each task declares its own flags next
 * to these, so `--help` and errors read the same everywhere.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { type ExecutionProvider, parseEp } from "../src/onnx/mod.ts";
import type { ComputeDType } from "../src/model/llama/_weights.ts";
import { closest } from "../src/data/dataset_spec.ts";
import { ActpatError } from "../src/util/errors.ts";

/** The top-level handler every task's main runs in: one `error: Cannot …` line, exit codes per the README. */
export { runMain } from "../src/util/errors.ts";

/** Flags of every model-running task: model and tokenizer refs, execution provider, threads, compute dtype. */
export const MODEL_FLAGS = {
  model: { type: "string" },
  tokenizer: { type: "string" },
  ep: { type: "string", default: "cpu" },
  threads: { type: "string" },
  dtype: { type: "string", default: "float32" },
  tf32: { type: "boolean", default: false },
  help: { type: "boolean", short: "h" },
  /** Load a checkpoint whose weights hold NaN or ±Inf (refused by default; see src/model/finite_check.ts). */
  "allow-nonfinite": { type: "boolean" },
} as const satisfies ParseArgsConfig["options"];

/**
 * Flags of every task that writes a run directory ({@link RUN_DIR_TASKS}); {@link parseTaskArgs} adds them.
 * `--force` writes into a folder that is not an actpat run, or holds a run of another configuration.
 */
export const RUN_FLAGS = {
  force: { type: "boolean" },
} as const satisfies ParseArgsConfig["options"];

/** The tasks whose `--out` is a run directory (src/results/run_dir.ts). */
export const RUN_DIR_TASKS: ReadonlySet<string> = new Set([
  "density",
  "similarity",
  "relevance",
  "prune",
  "eval",
  "table1",
  "transfer",
  "sts",
  "massive",
  "reproduce",
]);

type Parsed<O extends NonNullable<ParseArgsConfig["options"]>> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: boolean }>
>;

/**
 * Parses `args` strictly; an unknown or malformed flag is `Cannot run <task>: ... (usage)`, with "did you
 * mean" for a misspelled flag. A task of {@link RUN_DIR_TASKS} also takes {@link RUN_FLAGS}; pass
 * {@link overrideFlags} of the values on to the experiment.
 */
export function parseTaskArgs<O extends NonNullable<ParseArgsConfig["options"]>>(
  task: string,
  usage: string,
  args: string[],
  options: O,
  allowPositionals = false,
): Parsed<O> {
  const all = RUN_DIR_TASKS.has(task) ? { ...RUN_FLAGS, ...options } : options;
  let parsed;
  try {
    parsed = parseArgs({ args, options: all, strict: true, allowPositionals });
  } catch (err) {
    throw new ActpatError(`run ${task}`, `${flagError(err as Error, all)}\n${usage}`);
  }
  return parsed as Parsed<O>;
}

/**
 * `--force` and `--allow-nonfinite` as the options every experiment takes (`RunOptions.force`,
 * `RunOptions.allowNonfinite`); false when the task has no such flag or it is absent.
 */
export function overrideFlags(values: object): { force: boolean; allowNonfinite: boolean } {
  const v = values as Record<string, unknown>;
  return { force: v.force === true, allowNonfinite: v["allow-nonfinite"] === true };
}

/** parseArgs' message, with the nearest known flag for an unknown one (the usage line follows it). */
function flagError(err: Error, options: NonNullable<ParseArgsConfig["options"]>): string {
  const unknown = err.message.match(/^Unknown option '(-{1,2})([^'=]+)'/);
  const near = unknown && closest(unknown[2], Object.keys(options));
  return near ? `Unknown option '${unknown[1]}${unknown[2]}'; did you mean --${near}?` : err.message;
}

/** The value of a required flag, or `Cannot run <task>: --flag is required`. */
export function required(task: string, usage: string, flag: string, value: string | undefined): string {
  if (value === undefined || value === "") {
    throw new ActpatError(`run ${task}`, `--${flag} is required\n${usage}`);
  }
  return value;
}

/** A positive integer flag (undefined when absent). */
export function positiveInt(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) {
    throw new ActpatError(`parse --${flag}`, `"${text}" is not a positive integer`);
  }
  return n;
}

/** A non-negative integer flag (seeds, shots). */
export function nonNegativeInt(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) {
    throw new ActpatError(`parse --${flag}`, `"${text}" is not a non-negative integer`);
  }
  return n;
}

/** A finite number flag within [min, max]. */
export function numberIn(
  flag: string,
  text: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || n < min || n > max) {
    throw new ActpatError(`parse --${flag}`, `"${text}" is not a number in [${min}, ${max}]`);
  }
  return n;
}

/** A comma-separated list flag (empty entries dropped); undefined when absent. */
export function listFlag(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  return text.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

const DTYPES: readonly ComputeDType[] = ["float32", "float16", "float64"];

/** Engine options from {@link MODEL_FLAGS}. */
export function engineOptions(values: { ep?: string; threads?: string; dtype?: string; tf32?: boolean }): {
  ep: ExecutionProvider;
  threads: number | undefined;
  dtype: ComputeDType;
  tf32: boolean;
} {
  const dtype = (values.dtype ?? "float32") as ComputeDType;
  if (!DTYPES.includes(dtype)) {
    throw new ActpatError("parse --dtype", `"${values.dtype}" is not one of ${DTYPES.join(", ")}`);
  }
  return {
    ep: parseEp(values.ep),
    threads: positiveInt("threads", values.threads),
    dtype,
    tf32: values.tf32 ?? false,
  };
}
