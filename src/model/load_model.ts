import { basename, dirname, join } from "node:path";
import { ActpatError } from "../util/errors.ts";
import { sha256Cached } from "./file_hash.ts";
import { loadLlama2c } from "./llama2c.ts";
import { loadLlama2cTokenizer } from "./llama2c_tokenizer.ts";
import type { LlamaConfig } from "./llama_config.ts";
import { readConfig } from "./parse_config.ts";
import { resolveModel, type ResolveOptions } from "./resolve_model.ts";
import { openCheckpointWeights } from "./safetensors.ts";
import { loadQwenTokenizer } from "./tiktoken_tokenizer.ts";
import { loadCheckpointTokenizer, loadHfTokenizer, type Tokenizer } from "./tokenizer.ts";
import { validateWeights } from "./validate_weights.ts";
import { checkFiniteWeights } from "./finite_check.ts";
import { internalWeights } from "./weight_layout.ts";
import type { WeightStore } from "./weights.ts";

/** A weight file of a loaded model, with its size and sha256 (for run manifests). */
export interface ModelFile {
  path: string;
  bytes: number;
  sha256: string;
}

/**
 * A checkpoint ready for the engine: validated config, lazily read weights under internal names (see
 * `weight_layout.ts`), tokenizer, hashed files.
 */
export interface LoadedModel {
  ref: string;
  format: "hf" | "llama2c";
  /** The checkpoint folder (for llama2.c, the folder holding the .bin). */
  dir: string;
  config: LlamaConfig;
  weights: WeightStore;
  tokenizer: Tokenizer;
  files: ModelFile[];
}

/** Options of {@link loadModel}. */
export interface LoadModelOptions extends ResolveOptions {
  /**
   * Tokenizer reference (resolved like a model): a `tok*.bin` file or a folder with tokenizer.json. Default:
   * the checkpoint's own (for llama2.c, the sibling `tok<vocab>.bin`).
   */
  tokenizer?: string;
  /**
   * Load weights holding NaN or ±Inf (with a warning) instead of refusing them: the tasks'
   * `--allow-nonfinite`. Default false.
   */
  allowNonfinite?: boolean;
}

/**
 * Loads a model reference (local folder or file, mirror entry, or hub id): a Hugging Face checkpoint folder
 * or a llama2.c `.bin`. Weights are validated against the config and checked for NaN and ±Inf (see
 * {@link checkFiniteWeights}); weight files are hashed (once, cached).
 * @example const model = await loadModel("karpathy/tinyllamas/stories260K/stories260K.bin")
 */
export async function loadModel(ref: string, options: LoadModelOptions = {}): Promise<LoadedModel> {
  const resolved = await resolveModel(ref, options);
  const hashed = async (paths: string[]) => {
    const files: ModelFile[] = [];
    for (const path of paths) files.push({ path, ...(await sha256Cached(path, options)) });
    return files;
  };
  if (resolved.isFile) {
    if (!resolved.path.endsWith(".bin")) {
      throw new ActpatError(
        "load model",
        `${resolved.path} is a file but not a llama2.c checkpoint (*.bin); pass the checkpoint folder instead`,
      );
    }
    const { config, weights } = await loadLlama2c(resolved.path);
    validateWeights(config, weights, resolved.path);
    await checkFiniteWeights(weights, options);
    const tokenizer = options.tokenizer
      ? await loadTokenizerRef(options.tokenizer, config.vocabSize, options)
      : await siblingTokenizer(ref, resolved, config.vocabSize, options);
    checkVocab(tokenizer, config, resolved.path);
    return {
      ref,
      format: "llama2c",
      dir: dirname(resolved.path),
      config,
      weights,
      tokenizer,
      files: await hashed([resolved.path]),
    };
  }
  const dir = resolved.path;
  const config = await readConfig(dir);
  const { store, files } = await openCheckpointWeights(dir);
  validateWeights(config, store, join(dir, "config.json"));
  await checkFiniteWeights(store, options);
  const weights = internalWeights(config, store, dir);
  const tokenizer = options.tokenizer
    ? await loadTokenizerRef(options.tokenizer, config.vocabSize, options)
    : await loadCheckpointTokenizer(dir);
  checkVocab(tokenizer, config, dir);
  return { ref, format: "hf", dir, config, weights, tokenizer, files: await hashed(files) };
}

/**
 * Loads a tokenizer reference: a llama2.c `tok*.bin` file, a `tokenizer.json` or `*.tiktoken` (Qwen v1) file,
 * or a folder with either.
 */
export async function loadTokenizerRef(
  ref: string,
  vocabSize: number | undefined,
  options: ResolveOptions = {},
): Promise<Tokenizer> {
  const resolved = await resolveModel(ref, { ...options, tokenizerOnly: true });
  if (resolved.isFile) {
    if (resolved.path.endsWith("tokenizer.json")) return await loadHfTokenizer(dirname(resolved.path));
    if (resolved.path.endsWith(".tiktoken")) return await loadQwenTokenizer(resolved.path);
    return await loadLlama2cTokenizer(resolved.path, vocabSize);
  }
  return await loadCheckpointTokenizer(resolved.path);
}

/** llama2.c keeps `tok<vocab>.bin` beside the checkpoint (karpathy/tinyllamas/stories260K/tok512.bin). */
async function siblingTokenizer(
  ref: string,
  resolved: { path: string; source: string },
  vocabSize: number,
  options: ResolveOptions,
): Promise<Tokenizer> {
  const name = `tok${vocabSize}.bin`;
  const sibling = join(dirname(resolved.path), name);
  if (await Deno.stat(sibling).then(() => true, () => false)) {
    return await loadLlama2cTokenizer(sibling, vocabSize);
  }
  if (resolved.source === "hub") {
    const siblingRef = ref.split("/").slice(0, -1).concat(name).join("/");
    try {
      return await loadTokenizerRef(siblingRef, vocabSize, options);
    } catch (err) {
      if (!(err instanceof ActpatError && err.message.includes("HTTP 404"))) throw err;
    }
  }
  throw new ActpatError(
    "load model",
    `no tokenizer for ${
      basename(resolved.path)
    }: expected ${sibling}; pass a tokenizer reference (--tokenizer)`,
  );
}

function checkVocab(tokenizer: Tokenizer, config: LlamaConfig, where: string): void {
  // Checkpoints may pad the embedding beyond the tokenizer (Qwen2: 152064 rows, 151646 tokens), never the reverse.
  if (tokenizer.vocabSize > config.vocabSize) {
    throw new ActpatError(
      "load model",
      `the tokenizer has ${tokenizer.vocabSize} tokens but ${where} has a vocabulary of ${config.vocabSize}`,
    );
  }
}
