import { z } from "zod";
import { ActpatError } from "../../util/errors.ts";
import { unsupportedCompute } from "../../model/llama/llama_runner.ts";
import { EngineOptions } from "../engine_options.ts";
import { DensitySettings } from "../density/settings.ts";
import { RelevanceSettings, SimilaritySettings } from "../similarity/settings.ts";
import { Table1Settings, TransferSettings } from "../prune_eval/settings.ts";
import { StsSettings } from "../sts/settings.ts";
import { MassiveSettings } from "../massive/settings.ts";

/**
 * What `deno task reproduce` runs: one model, the engine, and each experiment's settings under its name,
 * validated by that experiment's own schema. Stages set to `null` are not run (and the report says so).
 */
export const ReproduceConfig = z.strictObject({
  title: z.string().describe("what this configuration reproduces"),
  model: z.string().describe("model reference: local path or hub id (resolved through ACTPAT_MIRROR)"),
  tokenizer: z.string().nullable().default(null),
  ep: EngineOptions.shape.ep,
  dtype: EngineOptions.shape.dtype,
  threads: z.number().int().positive().nullable().default(null),
  seed: z.number().int().nonnegative().describe(
    "seed of pruning's calibration draws (Wanda's and wanda_test.py's --seed, 0) and of the massive stage",
  ),
  activationSeed: z.number().int().nonnegative().default(1).describe(
    "`random.seed` of the activation stages (density, similarity, relevance, STS): the --seed 1 of " +
      "distribution_draw.py, llm_test_grad.py and llama_sts.py",
  ),
  splits: z.record(z.string(), z.string()).default({}).describe(
    "split per dataset for every stage (activation samples, evaluation, massive corpora), overriding each " +
      "stage's own (the paper's, lm-eval's); e.g. the pieces the repository embeds (boolq → validation-first200)",
  ),
  density: DensitySettings.nullable(),
  similarity: SimilaritySettings.nullable(),
  relevance: RelevanceSettings.nullable(),
  table1: Table1Settings.nullable(),
  transfer: TransferSettings.nullable(),
  sts: StsSettings.nullable(),
  massive: MassiveSettings.nullable(),
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
  const unsupported = unsupportedCompute(parsed.data.ep, parsed.data.dtype);
  if (unsupported) throw new ActpatError(`read config ${path}`, `dtype: ${unsupported}`);
  return parsed.data;
}
