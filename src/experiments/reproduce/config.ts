import { z } from "zod";
import { ActpatError } from "../../util/errors.ts";

/**
 * What `deno task reproduce` runs: one model and the settings of every stage, validated by one schema.
 * Stages set to `null` are not run (and the report says so).
 */
const layerRange = z.string().regex(/^(\d+(\.\d+)?)-(\d+(\.\d+)?)$/, "a layer range like 12-30 or 0.5-1.0");

export const ReproduceConfig = z.strictObject({
  title: z.string().describe("what this configuration reproduces"),
  model: z.string().describe("model reference: local path or hub id (resolved through ACTPAT_MIRROR)"),
  tokenizer: z.string().nullable().default(null),
  ep: z.enum(["cpu", "webgpu", "cuda"]).default("cpu"),
  dtype: z.enum(["float32", "float16", "float64"]).default("float32"),
  threads: z.number().int().positive().nullable().default(null),
  seed: z.number().int().nonnegative(),
  splits: z.record(z.string(), z.string()).default({}).describe(
    "split per dataset for every stage (activation samples, evaluation, massive corpora), overriding each " +
      "stage's own (the paper's, lm-eval's); e.g. the pieces the repository embeds (boolq → validation-first200)",
  ),
  density: z.strictObject({
    datasets: z.array(z.string()).min(1),
    samples: z.number().int().positive(),
    maxLen: z.number().int().positive(),
    shots: z.number().int().nonnegative(),
    gamma: z.string().describe("absolute threshold (2e-6) or quantile of the model's own A (q0.99)"),
    batchSize: z.number().int().positive(),
    layerGroup: z.number().int().positive().nullable().default(null),
  }).nullable(),
  similarity: z.strictObject({
    pairs: z.array(z.string().regex(/^[\w-]+:[\w-]+$/, "a dataset pair like boolq:c4")).min(1),
    samples: z.number().int().positive(),
  }).nullable(),
  relevance: z.strictObject({
    datasets: z.array(z.string()).min(2),
    samples: z.number().int().positive(),
    layers: layerRange.nullable().describe("default: the last half of the layers"),
  }).nullable(),
  table1: z.strictObject({
    sparsity: z.number().gt(0).lt(1),
    calibration: z.string(),
    nsamples: z.number().int().positive(),
    seqLen: z.number().int().positive(),
    tasks: z.array(z.string()).min(1),
    limit: z.number().int().positive().nullable(),
    gamma: z.string(),
  }).nullable(),
  transfer: z.strictObject({
    sparsity: z.number().gt(0).lt(1),
    calibrations: z.array(z.string()).min(1),
    tasks: z.array(z.string()).min(1),
    nsamples: z.number().int().positive(),
    seqLen: z.number().int().positive(),
    limit: z.number().int().positive().nullable(),
  }).nullable(),
  sts: z.strictObject({
    benchmarks: z.array(z.enum(["stsb", "sick"])).min(1),
    split: z.string(),
    samples: z.number().int().positive(),
    layers: z.array(layerRange).min(1),
  }).nullable(),
  massive: z.strictObject({
    sequences: z.number().int().positive(),
    seqLen: z.number().int().positive(),
    corpora: z.array(z.string()).min(1),
    absolute: z.number().positive().default(100),
    ratio: z.number().positive().default(1000),
    pplWindows: z.number().int().positive().nullable().default(null).describe(
      "perplexity windows per corpus",
    ),
    intervention: z.enum(["threshold", "paper"]).default("threshold").describe(
      "paper: the reference's hook.py intervention and perplexity corpora; threshold: the first massive layer",
    ),
  }).nullable(),
});
export type ReproduceConfig = z.infer<typeof ReproduceConfig>;

/** The embedded default: stories260K, small enough to reproduce everything in minutes on 2 CPU cores. */
export const DEFAULT_CONFIG_PATH = new URL("../../../paper/configs/default.json", import.meta.url);

/** Reads and validates a configuration file; errors name the file and the offending key. */
export async function readReproduceConfig(
  path: string | URL = DEFAULT_CONFIG_PATH,
): Promise<ReproduceConfig> {
  let json: unknown;
  try {
    json = JSON.parse(await Deno.readTextFile(path));
  } catch (err) {
    throw new ActpatError(`read config ${path}`, (err as Error).message);
  }
  const parsed = ReproduceConfig.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new ActpatError(`read config ${path}`, issues);
  }
  return parsed.data;
}
