/**
 * `deno task sts --model REF [--benchmarks stsb,sick] [--split dev] [--samples 256] [--seed 1]
 * [--layers 12-30,16-30,0.5-1.0] [--batch 8] [--out DIR] [--ep cpu|webgpu|cuda] [--threads N]
 * [--dtype float32|float16|float64] [--tokenizer REF]`: paper Table 3 — Spearman correlation of the activation
 * similarity of sentence pairs (and of hidden-state cosine baselines) with the gold scores, per layer range.
 * Writes sts.csv, sts_pairs.csv and manifest.json into the run directory (src/experiments/sts/).
 */
import {
  ENGINE_USAGE,
  engineOptions,
  listFlag,
  MODEL_FLAGS,
  nonNegativeInt,
  overrideFlags,
  parseTaskArgs,
  positiveInt,
  required,
} from "./_cli.ts";
import { PAPER_LAYER_RANGES, runSts } from "../src/experiments/sts/mod.ts";
import { parseLayerRangeSpecs } from "../src/experiments/layer_ranges.ts";
import { runMain } from "../src/util/errors.ts";

const USAGE = "usage: deno task sts --model REF [--benchmarks stsb,sick] [--split dev] [--samples 256] " +
  `[--seed 1] [--layers RANGES] [--batch 8] [--out DIR] ${ENGINE_USAGE}`;

const HELP = `${USAGE}

  --benchmarks  sentence-pair datasets, comma-separated (default stsb,sick)
  --split       split name; dev (= validation; SICK's trial file) by default
  --samples     pairs drawn per benchmark, seeded (default 256)
  --seed        sampling seed (default 1)
  --layers      comma-separated layer ranges: a-b = layers a..b (0-based, inclusive), or fractions of depth
                f-g (layers floor(f·L) .. ceil(g·L)-1). Default: the paper's six ranges as fractions,
                ${PAPER_LAYER_RANGES.join(",")}
                (= range(12,30), range(12,32), ..., range(20,32) on a 32-layer model)
  --batch       sentence pairs per graph call (default 8)
  --out         run directory (default results/runs/sts-<time>); an existing sts run there resumes`;

await runMain(async () => {
  const { values } = parseTaskArgs("sts", USAGE, Deno.args, {
    ...MODEL_FLAGS,
    benchmarks: { type: "string", default: "stsb,sick" },
    split: { type: "string", default: "dev" },
    samples: { type: "string", default: "256" },
    seed: { type: "string", default: "1" },
    layers: { type: "string", default: PAPER_LAYER_RANGES.join(",") },
    batch: { type: "string", default: "8" },
    out: { type: "string" },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const model = required("sts", USAGE, "model", values.model);
  const engine = engineOptions(values);
  const layers = parseLayerRangeSpecs(listFlag(values.layers) ?? []);
  const { dir, rows } = await runSts({
    model,
    tokenizer: values.tokenizer,
    benchmarks: listFlag(values.benchmarks) ?? [],
    split: required("sts", USAGE, "split", values.split),
    samples: positiveInt("samples", values.samples)!,
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
