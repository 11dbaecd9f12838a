/**
 * `deno task massive --model REF --seq-len L [--sequences 10] [--corpus wikitext2[,c4]] [--seed S]
 * [--absolute 100] [--ratio 1000] [--bos] [--batch B] [--ppl-windows N] [--intervention threshold|paper]
 * [--feature-prompt TEXT] [--feature-layer 1] [--no-attention] [--out DIR]`: massive activations
 * (Sun et al. 2024): per-layer top/median magnitudes, where the largest sit, and perplexity with them set to
 * zero or their mean. See src/experiments/massive/massive.ts.
 */
import { PAPER_CRITERION, runMassive } from "../src/experiments/massive/mod.ts";
import { runMain } from "../src/util/errors.ts";
import {
  ENGINE_USAGE,
  engineOptions,
  listFlag,
  MODEL_FLAGS,
  nonNegativeInt,
  numberIn,
  oneOf,
  overrideFlags,
  parseTaskArgs,
  positiveInt,
  required,
} from "./_cli.ts";

const USAGE = "usage: deno task massive --model REF --seq-len L [--sequences 10] [--corpus wikitext2[,c4]] " +
  "[--seed 0] [--absolute 100] [--ratio 1000] [--bos] [--batch 1] [--ppl-windows N] " +
  "[--intervention threshold|paper] [--feature-prompt TEXT] [--feature-layer 1] [--no-attention] [--out DIR] " +
  ENGINE_USAGE;

const HELP = `${USAGE}

  --sequences N     analysis sequences: seeded random windows of the first corpus (default 10)
  --seq-len L       tokens per analysis sequence and per perplexity window
  --corpus LIST     comma-separated: wikitext2, c4 (default wikitext2); the first gives the analysis
                    sequences; perplexity is measured on wikitext2 and every corpus listed (missing ones skipped)
  --seed S          seed of the analysis windows (default 0)
  --absolute X      a massive activation exceeds X in magnitude (default 100) ...
  --ratio R         ... and R × the median magnitude of its hidden state (default 1000)
  --bos             start each analysis sequence with BOS (default: plain corpus windows, as the paper's code)
  --batch B         sequences/windows per forward pass (default 1)
  --ppl-windows N   score at most N perplexity windows per corpus (default all)
  --intervention R  threshold (default): the first massive layer, every above-threshold entry of its massive
                    dims; paper: the reference's hook.py (layer index 1, first and top token, its hard-coded
                    Llama-2-7B/13B means, else measured ones), perplexity on wikitext2, c4-10k and pg19 as the
                    reference's lib/load_data.py reads them
  --feature-prompt  prompt of the signature figure (default "Summer is warm. Winter is cold.", no BOS)
  --feature-layer N layer (0-based) of the signature figure (default 1, the reference's --layer_id 2)
  --no-attention    skip the attention mass on the massive-activation tokens
  --out DIR         run directory (default results/runs/massive-<time>)`;

await runMain(async () => {
  const { values } = parseTaskArgs("massive", USAGE, Deno.args, {
    ...MODEL_FLAGS,
    sequences: { type: "string", default: "10" },
    "seq-len": { type: "string" },
    corpus: { type: "string", default: "wikitext2" },
    seed: { type: "string", default: "0" },
    absolute: { type: "string", default: String(PAPER_CRITERION.absolute) },
    ratio: { type: "string", default: String(PAPER_CRITERION.ratio) },
    bos: { type: "boolean", default: false },
    batch: { type: "string", default: "1" },
    "ppl-windows": { type: "string" },
    intervention: { type: "string", default: "threshold" },
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
  const seqLen = positiveInt("seq-len", required("massive", USAGE, "seq-len", values["seq-len"]))!;
  const corpora = listFlag(values.corpus) ?? [];
  await runMassive({
    model,
    tokenizer: values.tokenizer,
    sequences: positiveInt("sequences", values.sequences)!,
    seqLen,
    corpora,
    seed: nonNegativeInt("seed", values.seed)!,
    criterion: {
      absolute: numberIn("absolute", values.absolute, 0, Number.MAX_VALUE)!,
      ratio: numberIn("ratio", values.ratio, 0, Number.MAX_VALUE)!,
    },
    bos: values.bos,
    batch: positiveInt("batch", values.batch),
    pplWindows: positiveInt("ppl-windows", values["ppl-windows"]),
    intervention: oneOf("intervention", values.intervention, ["threshold", "paper"] as const),
    featurePrompt: values["feature-prompt"],
    featureLayer: nonNegativeInt("feature-layer", values["feature-layer"]),
    attention: !values["no-attention"],
    engine: engineOptions(values),
    out: values.out,
    argv: Deno.args,
    ...overrideFlags(values),
  });
});
