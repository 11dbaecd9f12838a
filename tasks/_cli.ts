/**
 * The edge of every task: flags parsed strictly, each value read once with one grammar, before any model or
 * dataset loads. A value that cannot be parsed is a {@link UsageError} (`Cannot parse --flag: ...`), which
 * `runMain` turns into exit code 2. Each task declares its own flags next to {@link MODEL_FLAGS}, so `--help`
 * and errors read the same everywhere.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { COMPUTE_DTYPES, EngineOptions } from "../src/experiments/engine_options.ts";
import { EXECUTION_PROVIDERS } from "../src/onnx/mod.ts";
import { closest } from "../src/data/dataset_spec.ts";
import { unsupportedCompute } from "../src/model/llama/mod.ts";
import { UsageError } from "../src/util/errors.ts";

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

/** Usage text of {@link MODEL_FLAGS} (besides `--model`). */
export const ENGINE_USAGE = `[--tokenizer REF] [--ep ${EXECUTION_PROVIDERS.join("|")}] [--threads N] ` +
  `[--dtype ${COMPUTE_DTYPES.join("|")}] [--tf32]`;

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
    throw new UsageError(`run ${task}`, `${flagError(err as Error, all)}\n${usage}`);
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
    throw new UsageError(`run ${task}`, `--${flag} is required\n${usage}`);
  }
  return value;
}

/** A positive integer flag (undefined when absent). */
export function positiveInt(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === "" || !Number.isInteger(n) || n <= 0) {
    throw new UsageError(`parse --${flag}`, `"${text}" is not a positive integer`);
  }
  return n;
}

/** A non-negative integer flag (seeds, shots). */
export function nonNegativeInt(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === "" || !Number.isSafeInteger(n) || n < 0) {
    throw new UsageError(`parse --${flag}`, `"${text}" is not a non-negative integer`);
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
    throw new UsageError(`parse --${flag}`, `"${text}" is not a number in [${min}, ${max}]`);
  }
  return n;
}

/** A flag whose value is one of `choices`. */
export function oneOf<C extends string>(flag: string, text: string, choices: readonly C[]): C {
  if (!(choices as readonly string[]).includes(text)) {
    throw new UsageError(`parse --${flag}`, `"${text}" is not one of ${choices.join(", ")}`);
  }
  return text as C;
}

/** A comma-separated list flag (empty entries dropped); undefined when absent. */
export function listFlag(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  return text.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

/** `--split boolq=train,wikitext2=test` → { boolq: "train", wikitext2: "test" }. */
export function parseSplits(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (text === undefined) return out;
  for (const item of text.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    const m = item.match(/^([\w-]+)=([\w-]+)$/);
    if (!m) throw new UsageError("parse --split", `"${item}" is not of the form dataset=split`);
    out[m[1]] = m[2];
  }
  return out;
}

/** An execution provider (`--ep`, any case). */
export function epFlag(text: string): EngineOptions["ep"] {
  return oneOf("ep", text.toLowerCase(), EXECUTION_PROVIDERS);
}

/** A compute dtype (`--dtype`), spelled as everywhere in actpat. */
export function dtypeFlag(text: string): EngineOptions["dtype"] {
  return oneOf("dtype", text, COMPUTE_DTYPES);
}

/** {@link EngineOptions} from {@link MODEL_FLAGS}. */
export function engineOptions(
  values: { ep?: string; threads?: string; dtype?: string; tf32?: boolean },
): EngineOptions {
  const engine = EngineOptions.parse({
    ep: epFlag(values.ep ?? "cpu"),
    dtype: dtypeFlag(values.dtype ?? "float32"),
    threads: positiveInt("threads", values.threads),
    ...(values.tf32 ? { tf32: true } : {}),
  });
  const why = unsupportedCompute(engine.ep, engine.dtype);
  if (why) throw new UsageError(`use --dtype ${engine.dtype} with --ep ${engine.ep}`, why);
  return engine;
}
