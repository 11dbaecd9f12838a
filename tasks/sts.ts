/**
 * `deno task sts --model REF [--benchmarks stsb,sick] [--split dev] [--samples 256] [--seed 1]
 * [--layers 12-30,16-30,0.5-1.0] [--batch 8] [--out DIR] [--ep cpu|webgpu|cuda] [--threads N]
 * [--dtype float32|float16|bfloat16|float64] [--tokenizer REF]`: paper Table 3 — Spearman correlation of the activation
 * similarity of sentence pairs (and of hidden-state cosine baselines) with the gold scores, per layer range.
 * Writes sts.csv, sts_pairs.csv and manifest.json into the run directory (src/experiments/sts/).
 */
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
import { PAPER_LAYER_RANGES, runSts } from "../src/experiments/sts/mod.ts";
import { StsSettings } from "../src/experiments/sts/settings.ts";
import { schemaFlags, schemaHelp, schemaValues } from "./_schema_flags.ts";
import { parseLayerRangeSpecs } from "../src/experiments/layer_ranges.ts";
import { runMain } from "../src/util/errors.ts";

const USAGE = "usage: deno task sts --model REF [--benchmarks stsb,sick] [--split dev] [--samples 256] " +
  `[--seed 1] [--layers RANGES] [--batch 8] [--out DIR] ${ENGINE_USAGE}`;

/** The task's defaults of the settings (a reproduce config states every one). */
const DEFAULTS: Partial<StsSettings> = {
  benchmarks: ["stsb", "sick"],
  split: "dev",
  samples: 256,
  layers: [...PAPER_LAYER_RANGES],
};

const HELP = `${USAGE}

${schemaHelp(StsSettings, { defaults: DEFAULTS })}
                (layer ranges: a-b = layers a..b, 0-based, inclusive, or fractions of depth f-g = layers
                floor(f·L) .. ceil(g·L)-1; the default, the paper's six ranges, = range(12,30), range(12,32), ...,
                range(20,32) on a 32-layer model; split dev = validation, SICK's trial file)
  --seed        sampling seed (default 1)
  --batch       sentence pairs per graph call (default 8)
  --out         run directory (default results/runs/sts-<time>); an existing sts run there resumes`;

await runMain(async () => {
  const { values } = parseTaskArgs("sts", USAGE, Deno.args, {
    ...MODEL_FLAGS,
    ...schemaFlags(StsSettings),
    seed: { type: "string", default: "1" },
    batch: { type: "string", default: "8" },
    out: { type: "string" },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const settings = schemaValues(StsSettings, values, { defaults: DEFAULTS });
  const model = required("sts", USAGE, "model", values.model);
  const engine = engineOptions(values);
  const layers = parseLayerRangeSpecs(settings.layers);
  const { dir, rows } = await runSts({
    model,
    tokenizer: values.tokenizer,
    benchmarks: settings.benchmarks,
    split: settings.split,
    samples: settings.samples,
    seed: nonNegativeInt("seed", values.seed)!,
    layers,
    batchPairs: positiveInt("batch", values.batch)!,
    engine,
    out: values.out,
    argv: Deno.args,
    ...overrideFlags(values),
  });
  const fmt = (x: unknown) =>
    typeof x === "number" && !Number.isInteger(x) ? x.toPrecision(4) : x === null ? "NaN" : String(x);
  console.log(["benchmark", "method", "layers", "spearman", "p_value", "n"].join("\t"));
  for (const r of rows) {
    console.log(
      [r.benchmark, r.method, `${r.layers} (${r.layer_first}-${r.layer_last})`, r.spearman, r.p_value, r.n]
        .map(fmt).join("\t"),
    );
  }
  console.log(`wrote ${dir}/sts.csv, ${dir}/sts_pairs.csv`);
});
