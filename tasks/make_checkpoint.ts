/**
 * `deno task make-checkpoint --shape tiny|llama-7b|llama2-7b|llama3-8b|qwen2-7b|qwen-7b|mistral-7b [--layers N]
 * [--dtype float32|float16|bfloat16] [--seed S] [--tokenizer REF] --out DIR`: a Hugging Face checkpoint with
 * seeded random weights, the real model's config.json and tensor layout, for testing and timing the engine at
 * real sizes.
 */
import {
  CHECKPOINT_DTYPES,
  type CheckpointDType,
  writeRandomCheckpoint,
} from "../src/model/random_checkpoint.ts";
import { SHAPE_NAMES } from "../src/model/model_shapes.ts";
import { runMain } from "../src/util/errors.ts";
import { nonNegativeInt, oneOf, parseTaskArgs, positiveInt, required } from "./_cli.ts";

const DTYPES = Object.keys(CHECKPOINT_DTYPES) as CheckpointDType[];
const USAGE = `usage: deno task make-checkpoint --shape ${SHAPE_NAMES.join("|")} [--layers N] ` +
  `[--dtype ${DTYPES.join("|")}] [--seed S] [--tokenizer REF] --out DIR`;

await runMain(async () => {
  const { values } = parseTaskArgs("make-checkpoint", USAGE, Deno.args, {
    shape: { type: "string" },
    layers: { type: "string" },
    dtype: { type: "string" },
    seed: { type: "string", default: "0" },
    tokenizer: { type: "string" },
    out: { type: "string" },
    quiet: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const shape = oneOf("shape", required("make-checkpoint", USAGE, "shape", values.shape), SHAPE_NAMES);
  const out = required("make-checkpoint", USAGE, "out", values.out);
  const { config, bytes } = await writeRandomCheckpoint(out, {
    shape,
    layers: positiveInt("layers", values.layers),
    dtype: values.dtype === undefined ? undefined : oneOf("dtype", values.dtype, DTYPES),
    seed: nonNegativeInt("seed", values.seed)!,
    tokenizer: values.tokenizer,
    quiet: values.quiet,
  });
  console.log(
    `wrote ${out}: ${shape}, ${config.numLayers} layers, ${config.torchDtype}, ` +
      `${bytes.toLocaleString("en-US")} bytes of weights`,
  );
});
