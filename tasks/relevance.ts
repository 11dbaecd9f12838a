/**
 * `deno task relevance --model REF --datasets A,B,... [--layers a-b|f-g] [--samples 64] [--max-len 256] [--shots 0]
 * [--seed S] [--batch-size P (pairs)] [--layer-group K] [--split NAME=SPLIT,...] [--out DIR]`: the dataset ×
 * dataset matrix of mean deep-layer similarity (default layers: the paper's range(L/2, L-2)) → relevance.csv,
 * with the pair similarities (similarity.csv, similarity_summary.csv). See src/experiments/similarity/.
 */
import { runMain, UsageError } from "../src/util/errors.ts";
import { parseLayerRangeSpec } from "../src/experiments/layer_ranges.ts";
import { runRelevance } from "../src/experiments/similarity/mod.ts";
import { listFlag, parseTaskArgs, required } from "./_cli.ts";
import { ACTIVATION_FLAGS, ACTIVATION_USAGE, activationSettings } from "./_activation_flags.ts";

const USAGE = `usage: deno task relevance --model REF --datasets A,B,... [--layers a-b] ${ACTIVATION_USAGE}`;

await runMain(async () => {
  const { values } = parseTaskArgs("relevance", USAGE, Deno.args, {
    ...ACTIVATION_FLAGS,
    datasets: { type: "string" },
    layers: { type: "string" },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const s = activationSettings("relevance", USAGE, values);
  const datasets = listFlag(required("relevance", USAGE, "datasets", values.datasets))!;
  if (datasets.length === 0) throw new UsageError("parse --datasets", "no dataset given");
  const layers = values.layers === undefined ? undefined : parseLayerRangeSpec(values.layers);
  const res = await runRelevance({ ...s, datasets, layers, argv: Deno.args });
  console.log(res.dir);
});
