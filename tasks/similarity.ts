/**
 * `deno task similarity --model REF --pairs boolq:boolq,boolq:humaneval,siqa:c4,... [--samples 64]
 * [--max-len 256] [--shots 0] [--seed S] [--batch-size P (pairs)] [--layer-group K] [--split NAME=SPLIT,...]
 * [--out DIR]`: similarity of the activation patterns of N input pairs per layer (the paper's boxplots):
 * similarity.csv and similarity_summary.csv. See src/experiments/similarity/.
 */
import { runMain } from "../src/util/errors.ts";
import { parsePairs, runSimilarity } from "../src/experiments/similarity/mod.ts";
import { parseTaskArgs, required } from "./_cli.ts";
import { ACTIVATION_FLAGS, ACTIVATION_USAGE, activationSettings } from "./_activation_flags.ts";

const USAGE = `usage: deno task similarity --model REF --pairs A:B,C:D,... ${ACTIVATION_USAGE}\n` +
  "       (--batch-size counts pairs; a pair a:a uses 2N distinct samples of a)";

await runMain(async () => {
  const { values } = parseTaskArgs("similarity", USAGE, Deno.args, {
    ...ACTIVATION_FLAGS,
    pairs: { type: "string" },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const s = activationSettings("similarity", USAGE, values);
  const pairs = parsePairs(required("similarity", USAGE, "pairs", values.pairs));
  const res = await runSimilarity({ ...s, pairs, argv: Deno.args });
  console.log(res.dir);
});
