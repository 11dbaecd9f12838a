/**
 * Flags shared by `deno task density`, `similarity` and `relevance` (the activation experiments), on top of
 * {@link MODEL_FLAGS}.
 */
import type { ParseArgsConfig } from "node:util";
import { UsageError } from "../src/util/errors.ts";
import {
  ENGINE_USAGE,
  engineOptions,
  MODEL_FLAGS,
  nonNegativeInt,
  overrideFlags,
  positiveInt,
  required,
} from "./_cli.ts";

/** Flags of every activation experiment. */
export const ACTIVATION_FLAGS = {
  ...MODEL_FLAGS,
  samples: { type: "string", default: "64" },
  "max-len": { type: "string", default: "256" },
  shots: { type: "string", default: "0" },
  seed: { type: "string", default: "0" },
  "batch-size": { type: "string", default: "1" },
  "layer-group": { type: "string" },
  split: { type: "string" },
  out: { type: "string" },
  quiet: { type: "boolean" },
} as const satisfies ParseArgsConfig["options"];

/** Usage text of the shared flags. */
export const ACTIVATION_USAGE =
  "[--samples N (64)] [--max-len N (256: corpus window length)] [--shots N (0)] " +
  "[--seed S (0)] [--batch-size N (1)] [--layer-group K (all layers)] [--split NAME=SPLIT,...] [--out DIR] " +
  `${ENGINE_USAGE} [--quiet]`;

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

type Values = {
  [K in keyof typeof ACTIVATION_FLAGS]?: (typeof ACTIVATION_FLAGS)[K]["type"] extends "boolean" ? boolean
    : string;
};

/** The resolved shared settings. */
export function activationSettings(task: string, usage: string, values: Values) {
  return {
    model: required(task, usage, "model", values.model),
    tokenizer: values.tokenizer,
    samples: positiveInt("samples", values.samples)!,
    maxLen: positiveInt("max-len", values["max-len"])!,
    shots: nonNegativeInt("shots", values.shots)!,
    seed: nonNegativeInt("seed", values.seed)!,
    batchSize: positiveInt("batch-size", values["batch-size"])!,
    layerGroup: positiveInt("layer-group", values["layer-group"]),
    splits: parseSplits(values.split),
    engine: engineOptions(values),
    out: values.out,
    quiet: values.quiet ?? false,
    ...overrideFlags(values),
  };
}
