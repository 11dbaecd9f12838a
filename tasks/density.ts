/**
 * `deno task density --model REF --datasets boolq,humaneval,mmlu,siqa,hellaswag,c4,wikitext2 --gamma 2e-6|q0.99
 * [--samples 64] [--max-len 256] [--shots 0] [--seed S] [--batch-size N] [--layer-group K] [--keep-sums-mb 64]
 * [--split NAME=SPLIT,...] [--out DIR]`: number of activated parameters per layer and linear for each dataset
 * (the paper's Figure 1), with the histogram of mean activations. `deno task density --from DIR --gamma G
 * [--out DIR2]` recomputes the counts for another γ from a finished run, without the model.
 * See src/experiments/density/.
 */
import { runMain, UsageError } from "../src/util/errors.ts";
import { densityFromRun, parseGamma, runDensity } from "../src/experiments/density/mod.ts";
import { listFlag, numberIn, overrideFlags, parseTaskArgs, required } from "./_cli.ts";
import { ACTIVATION_FLAGS, ACTIVATION_USAGE, activationSettings } from "./_activation_flags.ts";

const USAGE =
  "usage: deno task density --model REF --datasets A,B,... --gamma 2e-6|q0.99 [--keep-sums-mb N (64)] " +
  `${ACTIVATION_USAGE}\n       deno task density --from RUN_DIR --gamma G [--out DIR]`;

await runMain(async () => {
  const { values } = parseTaskArgs("density", USAGE, Deno.args, {
    ...ACTIVATION_FLAGS,
    datasets: { type: "string" },
    gamma: { type: "string" },
    "keep-sums-mb": { type: "string", default: "64" },
    from: { type: "string" },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const gamma = parseGamma(required("density", USAGE, "gamma", values.gamma));
  if (values.from !== undefined) {
    const used = ["model", "datasets"].filter((f) => values[f as "model" | "datasets"] !== undefined);
    if (used.length > 0) {
      throw new UsageError(
        "run density",
        `--from recomputes a finished run; it takes no --${used.join(", --")}\n${USAGE}`,
      );
    }
    const res = await densityFromRun({
      from: values.from,
      gamma,
      out: values.out,
      argv: Deno.args,
      force: overrideFlags(values).force,
      quiet: values.quiet,
    });
    console.log(res.dir);
    return;
  }
  const s = activationSettings("density", USAGE, values);
  const datasets = listFlag(required("density", USAGE, "datasets", values.datasets))!;
  if (datasets.length === 0) throw new UsageError("parse --datasets", "no dataset given");
  const keepMb = numberIn("keep-sums-mb", values["keep-sums-mb"], 0, 2 ** 40)!;
  const res = await runDensity({ ...s, datasets, gamma, keepSumsBytes: keepMb * 2 ** 20, argv: Deno.args });
  console.log(res.dir);
});
