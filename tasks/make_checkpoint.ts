/**
 * `deno task make-checkpoint --shape tiny|llama-7b|llama2-7b|llama3-8b|qwen2-7b|qwen-7b|mistral-7b [--layers N]
 * [--dtype f32|f16|bf16] [--seed S] [--tokenizer REF] --out DIR`: a Hugging Face checkpoint with seeded random
 * weights, the real model's config.json and tensor layout, for testing and timing the engine at real sizes.
 */
import { parseArgs } from "node:util";
import {
  CHECKPOINT_DTYPES,
  type CheckpointDType,
  writeRandomCheckpoint,
} from "../src/model/random_checkpoint.ts";
import { type ModelShape, SHAPE_NAMES } from "../src/model/model_shapes.ts";
import { ActpatError, runMain } from "../src/util/errors.ts";

const USAGE =
  `usage: deno task make-checkpoint --shape ${SHAPE_NAMES.join("|")} [--layers N] [--dtype f32|f16|bf16] ` +
  "[--seed S] [--tokenizer REF] --out DIR";

function parse(args: string[]) {
  try {
    return parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        shape: { type: "string" },
        layers: { type: "string" },
        dtype: { type: "string" },
        seed: { type: "string", default: "0" },
        tokenizer: { type: "string" },
        out: { type: "string" },
        quiet: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (err) {
    throw new ActpatError("run make-checkpoint", `${(err as Error).message} (${USAGE})`);
  }
}

function integer(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(n) || n < min) {
    throw new ActpatError(`parse --${flag}`, `"${text}" is not an integer ≥ ${min}`);
  }
  return n;
}

await runMain(async () => {
  const values = parse(Deno.args);
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.shape) throw new ActpatError("run make-checkpoint", `--shape is required (${USAGE})`);
  if (!values.out) throw new ActpatError("run make-checkpoint", `--out is required (${USAGE})`);
  if (!(SHAPE_NAMES as string[]).includes(values.shape)) {
    throw new ActpatError(
      "parse --shape",
      `unknown shape "${values.shape}" (shapes: ${SHAPE_NAMES.join(", ")})`,
    );
  }
  if (values.dtype !== undefined && !(values.dtype in CHECKPOINT_DTYPES)) {
    throw new ActpatError("parse --dtype", `unknown dtype "${values.dtype}" (dtypes: f32, f16, bf16)`);
  }
  const { config, bytes } = await writeRandomCheckpoint(values.out, {
    shape: values.shape as ModelShape,
    layers: values.layers === undefined ? undefined : integer("layers", values.layers, 1),
    dtype: values.dtype as CheckpointDType | undefined,
    seed: integer("seed", values.seed, 0),
    tokenizer: values.tokenizer,
    quiet: values.quiet,
  });
  console.log(
    `wrote ${values.out}: ${values.shape}, ${config.numLayers} layers, ${config.torchDtype}, ` +
      `${bytes.toLocaleString("en-US")} bytes of weights`,
  );
});
