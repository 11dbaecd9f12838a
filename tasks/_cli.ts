/**
 * Flags shared by every task that runs a model, and their validation. Each task declares its own flags next
 * to these, so `--help` and errors read the same everywhere.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { type ExecutionProvider, parseEp } from "../src/onnx/mod.ts";
import type { ComputeDType } from "../src/model/llama/_weights.ts";
import { ActpatError } from "../src/util/errors.ts";

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
    throw new ActpatError(`run ${task}`, `${(err as Error).message}\n${usage}`);
  }
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
