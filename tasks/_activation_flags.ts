/**
 * Flags shared by `deno task density`, `similarity` and `relevance` (the activation experiments), on top of
 * {@link MODEL_FLAGS}.
 */
import type { ParseArgsConfig } from "node:util";
import {
  ENGINE_USAGE,
  engineOptions,
  MODEL_FLAGS,
  nonNegativeInt,
  overrideFlags,
  parseSplits,
  required,
} from "./_cli.ts";
import { DensitySettings } from "../src/experiments/density/settings.ts";
import { schemaFlags, schemaValues } from "./_schema_flags.ts";

/**
 * The sampling settings every activation experiment takes: DensitySettings' fields (the reproduce config's
 * `density` section, whose window length, shots and batch the similarity and relevance stages follow).
 */
const SAMPLING = DensitySettings.pick({
  samples: true,
  maxLen: true,
  shots: true,
  batchSize: true,
  layerGroup: true,
});

/** The tasks' defaults of {@link SAMPLING} (a reproduce config states every one). */
const SAMPLING_DEFAULTS = { samples: 64, maxLen: 256, shots: 0, batchSize: 1 };

/** Flags of every activation experiment. */
export const ACTIVATION_FLAGS = {
  ...MODEL_FLAGS,
  ...schemaFlags(SAMPLING),
  seed: { type: "string", default: "0" },
  split: { type: "string" },
  out: { type: "string" },
  quiet: { type: "boolean" },
} as const satisfies ParseArgsConfig["options"];

/** Usage text of the shared flags. */
export const ACTIVATION_USAGE =
  "[--samples N (64)] [--max-len N (256: corpus window length)] [--shots N (0)] " +
  "[--seed S (0)] [--batch-size N (1)] [--layer-group K (all layers)] [--split NAME=SPLIT,...] [--out DIR] " +
  `${ENGINE_USAGE} [--quiet]`;

/** The resolved shared settings. */
export function activationSettings(task: string, usage: string, values: Record<string, unknown>) {
  const sampling = schemaValues(SAMPLING, values, { defaults: SAMPLING_DEFAULTS });
  const v = values as Record<string, string | undefined>;
  return {
    model: required(task, usage, "model", v.model),
    tokenizer: v.tokenizer,
    samples: sampling.samples,
    maxLen: sampling.maxLen,
    shots: sampling.shots,
    seed: nonNegativeInt("seed", v.seed)!,
    batchSize: sampling.batchSize,
    layerGroup: sampling.layerGroup ?? undefined,
    splits: parseSplits(v.split),
    engine: engineOptions(v),
    out: v.out,
    quiet: values.quiet === true,
    ...overrideFlags(values),
  };
}
