/**
 * `deno task massive --model REF --seq-len L [--sequences 10] [--corpus wikitext2[,c4]] [--seed S]
 * [--absolute 100] [--ratio 1000] [--bos] [--batch B] [--ppl-windows N] [--intervention threshold|paper]
 * [--feature-prompt TEXT] [--feature-layer 1] [--no-attention] [--out DIR]`: massive activations
 * (Sun et al. 2024): per-layer top/median magnitudes, where the largest sit, and perplexity with them set to
 * zero or their mean. See src/experiments/massive/massive.ts.
 */
import { runMassive } from "../src/experiments/massive/mod.ts";
import { MassiveSettings } from "../src/experiments/massive/settings.ts";
import { schemaFlags, schemaHelp, schemaValues } from "./_schema_flags.ts";
import { runMain } from "../src/util/errors.ts";
import {
  ENGINE_USAGE,
  engineOptions,
  MODEL_FLAGS,
  nonNegativeInt,
  overrideFlags,
  parseTaskArgs,
  positiveInt,
  required,
} from "./_cli.ts";

const USAGE = "usage: deno task massive --model REF --seq-len L [--sequences 10] [--corpus wikitext2[,c4]] " +
  "[--seed 0] [--absolute 100] [--ratio 1000] [--bos] [--batch 1] [--ppl-windows N] " +
  "[--intervention threshold|paper] [--feature-prompt TEXT] [--feature-layer 1] [--no-attention] [--out DIR] " +
  ENGINE_USAGE;

/** Flag names of the settings that differ from their fields'. */
const RENAME = { corpora: "corpus" };

/** The task's defaults of the settings a reproduce config states. */
const DEFAULTS: Partial<MassiveSettings> = { sequences: 10, corpora: ["wikitext2"] };

const HELP = `${USAGE}

${schemaHelp(MassiveSettings, { rename: RENAME, defaults: DEFAULTS })}
                    (--sequences: seeded random windows of the first corpus; --seq-len: tokens per analysis
                    sequence and per perplexity window; --corpus: the first gives the analysis sequences,
                    perplexity is measured on wikitext2 and every corpus listed, missing ones skipped; a massive
                    activation exceeds --absolute in magnitude and --ratio × the median magnitude of its hidden
                    state; --intervention paper: the reference's hook.py (layer index 1, first and top token, its
                    hard-coded Llama-2-7B/13B means, else measured ones), perplexity on wikitext2, c4-10k and pg19
                    as the reference's lib/load_data.py reads them)
  --seed S          seed of the analysis windows (default 0)
  --bos             start each analysis sequence with BOS (default: plain corpus windows, as the paper's code)
  --batch B         sequences/windows per forward pass (default 1)
  --feature-prompt  prompt of the signature figure (default "Summer is warm. Winter is cold.", no BOS)
  --feature-layer N layer (0-based) of the signature figure (default 1, the reference's --layer_id 2)
  --no-attention    skip the attention mass on the massive-activation tokens
  --out DIR         run directory (default results/runs/massive-<time>)`;

await runMain(async () => {
  const { values } = parseTaskArgs("massive", USAGE, Deno.args, {
    ...MODEL_FLAGS,
    ...schemaFlags(MassiveSettings, RENAME),
    seed: { type: "string", default: "0" },
    bos: { type: "boolean", default: false },
    batch: { type: "string", default: "1" },
    "feature-prompt": { type: "string" },
    "feature-layer": { type: "string" },
    "no-attention": { type: "boolean", default: false },
    out: { type: "string" },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const model = required("massive", USAGE, "model", values.model);
  required("massive", USAGE, "seq-len", (values as Record<string, unknown>)["seq-len"] as string | undefined);
  const settings = schemaValues(MassiveSettings, values, { rename: RENAME, defaults: DEFAULTS });
  await runMassive({
    model,
    tokenizer: values.tokenizer,
    sequences: settings.sequences,
    seqLen: settings.seqLen,
    corpora: settings.corpora,
    seed: nonNegativeInt("seed", values.seed)!,
    criterion: { absolute: settings.absolute, ratio: settings.ratio },
    bos: values.bos,
    batch: positiveInt("batch", values.batch),
    pplWindows: settings.pplWindows ?? undefined,
    intervention: settings.intervention,
    featurePrompt: values["feature-prompt"],
    featureLayer: nonNegativeInt("feature-layer", values["feature-layer"]),
    attention: !values["no-attention"],
    engine: engineOptions(values),
    out: values.out,
    argv: Deno.args,
    ...overrideFlags(values),
  });
});
