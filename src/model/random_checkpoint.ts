import { join, normalize } from "node:path";
import { writeFileAtomic } from "../util/atomic_write.ts";
import { ActpatError } from "../util/errors.ts";
import { SeededNormal } from "./_random.ts";
import type { LlamaConfig } from "./llama_config.ts";
import { DEFAULT_SHAPE_TOKENIZER, MODEL_SHAPES, type ModelShape, SHAPE_NAMES } from "./model_shapes.ts";
import { parseConfig } from "./parse_config.ts";
import { resolveModel, type ResolveOptions } from "./resolve_model.ts";
import { type TensorChunk, writeSafetensors } from "./safetensors_writer.ts";
import { QWEN_TIKTOKEN_FILE } from "./tiktoken_tokenizer.ts";
import { loadCheckpointTokenizer, type Tokenizer } from "./tokenizer.ts";
import { storedTensors } from "./weight_layout.ts";
import type { StorageDType } from "./weights.ts";

/** Output dtypes, spelled as config.json's `torch_dtype` (and `--dtype`), with their safetensors storage. */
export const CHECKPOINT_DTYPES = {
  float32: "F32",
  float16: "F16",
  bfloat16: "BF16",
} as const satisfies Partial<Record<LlamaConfig["torchDtype"], StorageDType>>;
export type CheckpointDType = keyof typeof CHECKPOINT_DTYPES;

/** Options of {@link writeRandomCheckpoint}. */
export interface RandomCheckpointOptions {
  shape: ModelShape;
  /** Keep only the first N decoder layers (default: all of the shape's). */
  layers?: number;
  /** Default: the real model's dtype. */
  dtype?: CheckpointDType;
  seed?: number;
  /**
   * Reference to a folder with tokenizer.json (or Qwen's qwen.tiktoken); default per shape
   * ({@link DEFAULT_SHAPE_TOKENIZER}).
   */
  tokenizer?: string;
  resolve?: ResolveOptions;
  quiet?: boolean;
}

/** Files copied from the tokenizer folder when present. */
const TOKENIZER_FILES = [
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "tokenizer.model",
  QWEN_TIKTOKEN_FILE,
];
/** transformers' initializer_range for these families. */
const INIT_STD = 0.02;
/** Values per generated chunk: 4 MiB of float32 keeps memory flat for any tensor size. */
const CHUNK = 1 << 20;

/**
 * Writes a Hugging Face checkpoint folder with seeded random weights for a named shape: config.json (the real
 * model's, with the chosen layers, dtype and the tokenizer's BOS/EOS), model.safetensors (the real model's
 * tensor names and layout; normal(0, 0.02) linears and embeddings, norms 1, biases 0; streamed), the tokenizer
 * files and `actpat_random.json` saying how it was made. The folder appears only when complete.
 * @example await writeRandomCheckpoint("out/tiny", { shape: "tiny", seed: 1 })
 */
export async function writeRandomCheckpoint(
  outDir: string,
  options: RandomCheckpointOptions,
): Promise<{ config: LlamaConfig; bytes: number }> {
  const fail = (detail: string) => new ActpatError(`make checkpoint ${outDir}`, detail);
  // "out/x/" must not put the temporary folder inside the target.
  const dir = normalize(outDir).replace(/(.)\/+$/, "$1");
  const shape = MODEL_SHAPES[options.shape];
  if (!shape) throw fail(`unknown shape "${options.shape}" (shapes: ${SHAPE_NAMES.join(", ")})`);
  const dtype = options.dtype ?? dtypeFlagOf(realDtype(options.shape));
  if (!(dtype in CHECKPOINT_DTYPES)) {
    throw fail(`unknown dtype "${dtype}" (dtypes: ${Object.keys(CHECKPOINT_DTYPES).join(", ")})`);
  }
  const layers = options.layers ?? shape.num_hidden_layers;
  if (!Number.isInteger(layers) || layers < 1 || layers > shape.num_hidden_layers) {
    throw fail(
      `layers must be an integer from 1 to ${shape.num_hidden_layers} for ${options.shape}, got ${layers}`,
    );
  }
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw fail(`seed must be an integer, got ${seed}`);
  await refuseNonEmpty(dir, fail);

  const tokenizerRef = options.tokenizer ?? DEFAULT_SHAPE_TOKENIZER[options.shape];
  const tokDir = await resolveModel(tokenizerRef, {
    ...options.resolve,
    tokenizerOnly: true,
    quiet: options.quiet,
  }).catch((err) => {
    if (options.tokenizer !== undefined || !(err instanceof ActpatError)) throw err;
    // The defaults are mirror entries: say so rather than leave a bare "not found".
    throw fail(
      `the default tokenizer of ${options.shape} is the mirror entry "${tokenizerRef}", which is not ` +
        `available (set ACTPAT_MIRROR or pass a tokenizer reference): ${err.message}`,
    );
  });
  if (tokDir.isFile) {
    throw fail(`tokenizer ${tokenizerRef} must be a folder with tokenizer.json or ${QWEN_TIKTOKEN_FILE}`);
  }
  const tokenizer = await loadCheckpointTokenizer(tokDir.path);
  if (options.shape !== "tiny" && tokenizer.vocabSize > shape.vocab_size) {
    throw fail(
      `tokenizer ${tokenizerRef} has ${tokenizer.vocabSize} tokens, more than ${options.shape}'s vocabulary of ` +
        `${shape.vocab_size}`,
    );
  }
  const configJson = shapeConfigJson(options.shape, { layers, dtype, tokenizer });
  const config = parseConfig(configJson, `shape ${options.shape}`);

  const temp = `${dir}.${Deno.pid}.partial`;
  await Deno.remove(temp, { recursive: true }).catch(() => {});
  await Deno.mkdir(temp, { recursive: true });
  try {
    await writeFileAtomic(join(temp, "config.json"), JSON.stringify(configJson, null, 2) + "\n");
    const generation = { bos_token_id: tokenizer.bosTokenId, eos_token_id: tokenizer.eosTokenId };
    await writeFileAtomic(join(temp, "generation_config.json"), JSON.stringify(generation, null, 2) + "\n");
    for (const f of TOKENIZER_FILES) {
      // Read and write rather than copy: a copy would keep the read-only mode of mirror files.
      const data = await Deno.readFile(join(tokDir.path, f)).catch((err) => {
        if (err instanceof Deno.errors.NotFound) return null;
        throw err;
      });
      if (data) await Deno.writeFile(join(temp, f), data);
    }
    const storage = CHECKPOINT_DTYPES[dtype];
    // Under the checkpoint's own names (Qwen: q, k, v stacked into c_attn), each internal tensor's values
    // generated from its internal name, so every layout holds the same internal weights for a seed.
    const { bytes } = await writeSafetensors(
      join(temp, "model.safetensors"),
      storedTensors(config).map(({ name, shape, parts }) => ({
        name,
        shape,
        dtype: storage,
        data: (function* () {
          for (const p of parts) yield* tensorValues(p.name, p.shape.reduce((a, b) => a * b, 1), seed);
        })(),
      })),
      { quiet: options.quiet },
    );
    const made = {
      note: "random weights: not a trained model",
      shape: options.shape,
      layers,
      dtype,
      seed,
      tokenizer: tokenizerRef,
      init:
        `linear weights and embeddings normal(0, ${INIT_STD}) per tensor from sha256(seed, name); norms 1; biases 0`,
    };
    await writeFileAtomic(join(temp, "actpat_random.json"), JSON.stringify(made, null, 2) + "\n");
    await Deno.remove(dir).catch(() => {}); // an empty folder left for us; a non-empty one was refused above
    await Deno.rename(temp, dir);
    return { config, bytes };
  } catch (err) {
    await Deno.remove(temp, { recursive: true }).catch(() => {});
    throw err;
  }
}

/**
 * The config.json of a random checkpoint: the real model's, with `layers` decoder layers, the dtype, and the
 * tokenizer's BOS/EOS (and, for `tiny`, its vocabulary size; larger shapes keep their full-size vocabulary).
 */
export function shapeConfigJson(
  shape: ModelShape,
  options: {
    layers?: number;
    dtype?: CheckpointDType;
    tokenizer: Pick<Tokenizer, "vocabSize" | "bosTokenId" | "eosTokenId">;
  },
): Record<string, unknown> {
  const base = MODEL_SHAPES[shape];
  return {
    ...base,
    num_hidden_layers: options.layers ?? base.num_hidden_layers,
    vocab_size: shape === "tiny" ? options.tokenizer.vocabSize : base.vocab_size,
    torch_dtype: options.dtype ?? dtypeFlagOf(realDtype(shape)),
    bos_token_id: options.tokenizer.bosTokenId,
    eos_token_id: options.tokenizer.eosTokenId,
  };
}

/**
 * The dtype the real model's weights are stored in: its config's torch_dtype. Qwen-7B's config.json names
 * none; its shards hold 2 bytes per parameter (index total_size 15,442,649,088 = 2 × 7,721,324,544), released
 * as bfloat16.
 */
function realDtype(shape: ModelShape): string {
  const base = MODEL_SHAPES[shape];
  return "torch_dtype" in base ? base.torch_dtype : "bfloat16";
}

function dtypeFlagOf(torch: string): CheckpointDType {
  return torch in CHECKPOINT_DTYPES ? torch as CheckpointDType : "float32";
}

async function refuseNonEmpty(dir: string, fail: (detail: string) => Error): Promise<void> {
  try {
    for await (const _ of Deno.readDir(dir)) throw fail(`${dir} exists and is not empty`);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    if (err instanceof Deno.errors.NotADirectory) throw fail(`${dir} exists and is not a folder`);
    throw err;
  }
}

/** Values of one tensor, generated in chunks: norms are 1, biases 0, everything else normal(0, 0.02). */
function* tensorValues(name: string, count: number, seed: number): Generator<TensorChunk> {
  const constant = name.endsWith("norm.weight") ? 1 : name.endsWith(".bias") ? 0 : null;
  const rng = constant === null ? new SeededNormal(seed, name, INIT_STD) : null;
  for (let done = 0; done < count; done += CHUNK) {
    const chunk = new Float32Array(Math.min(CHUNK, count - done));
    if (rng) rng.fill(chunk);
    else chunk.fill(constant!);
    yield chunk;
  }
}
