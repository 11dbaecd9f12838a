/**
 * The edge of every task: flags parsed strictly, each value read once with one grammar, before any model or
 * dataset loads. A value that cannot be parsed is a {@link UsageError} (`Cannot parse --flag: ...`), which
 * `runMain` turns into exit code 2. Each task declares its own flags next to {@link MODEL_FLAGS}, so `--help`
 * and errors read the same everywhere.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { COMPUTE_DTYPES, EngineOptions } from "../src/experiments/engine_options.ts";
import { EXECUTION_PROVIDERS } from "../src/onnx/mod.ts";
import { UsageError } from "../src/util/errors.ts";

/** Flags of every model-running task: model and tokenizer refs, execution provider, threads, compute dtype. */
export const MODEL_FLAGS = {
  model: { type: "string" },
  tokenizer: { type: "string" },
  ep: { type: "string", default: "cpu" },
  threads: { type: "string" },
  dtype: { type: "string", default: "float32" },
  tf32: { type: "boolean", default: false },
  help: { type: "boolean", short: "h" },
} as const satisfies ParseArgsConfig["options"];

/** Usage text of {@link MODEL_FLAGS} (besides `--model`). */
export const ENGINE_USAGE = `[--tokenizer REF] [--ep ${EXECUTION_PROVIDERS.join("|")}] [--threads N] ` +
  `[--dtype ${COMPUTE_DTYPES.join("|")}] [--tf32]`;

/** Parses `args` strictly; an unknown or malformed flag is `Cannot run <task>: ... (usage)`. */
export function parseTaskArgs<O extends NonNullable<ParseArgsConfig["options"]>>(
  task: string,
  usage: string,
  args: string[],
  options: O,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals });
  } catch (err) {
    throw new UsageError(`run ${task}`, `${(err as Error).message}\n${usage}`);
  }
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
  return EngineOptions.parse({
    ep: epFlag(values.ep ?? "cpu"),
    dtype: dtypeFlag(values.dtype ?? "float32"),
    threads: positiveInt("threads", values.threads),
    ...(values.tf32 ? { tf32: true } : {}),
  });
}
