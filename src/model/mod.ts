/**
 * Model loading: a model reference (local folder or file, mirror entry, or hub id) resolved and downloaded
 * ({@link resolveModel}), a Hugging Face checkpoint (config.json → {@link LlamaConfig}, safetensors weights read
 * lazily, tokenizer.json) or a llama2.c checkpoint (converted to the same names and RoPE layout), all behind
 * {@link loadModel}. Also the safetensors writer and seeded random checkpoints of real model shapes.
 *
 * @example
 * const model = await loadModel("karpathy/tinyllamas/stories260K/stories260K.bin");
 * model.tokenizer.encode("Once upon a time"); // [1, 403, 407, 261, 378]
 */
export * from "./llama_config.ts";
export * from "./weights.ts";
export {
  type LoadedModel,
  loadModel,
  type LoadModelOptions,
  loadTokenizerRef,
  type ModelFile,
} from "./load_model.ts";
export {
  type HubRef,
  parseHubRef,
  type ResolvedModel,
  resolveModel,
  type ResolveOptions,
} from "./resolve_model.ts";
export { configSchema, parseConfig, readConfig } from "./parse_config.ts";
export {
  openCheckpointWeights,
  openSafetensors,
  readSafetensorsHeader,
  type SafetensorsHeader,
  SHARD_INDEX,
} from "./safetensors.ts";
export {
  type TensorChunk,
  type TensorData,
  type TensorToWrite,
  writeSafetensors,
  type WriteSafetensorsOptions,
} from "./safetensors_writer.ts";
export { createWeightStore, readFileRange } from "./weight_store.ts";
export { validateWeights } from "./validate_weights.ts";
export {
  llama2cConfig,
  type Llama2cHeader,
  loadLlama2c,
  pairsToRotateHalf,
  readLlama2cHeader,
} from "./llama2c.ts";
export { type Llama2cTokenizer, loadLlama2cTokenizer, parseLlama2cTokenizer } from "./llama2c_tokenizer.ts";
export { loadHfTokenizer, type Tokenizer } from "./tokenizer.ts";
export { sha256Cached } from "./file_hash.ts";
export {
  describeArchitecture,
  describeParameters,
  LAYER_MODULES,
  type ParameterCounts,
  parameterCounts,
} from "./describe_model.ts";
export { DEFAULT_SHAPE_TOKENIZER, MODEL_SHAPES, type ModelShape, SHAPE_NAMES } from "./model_shapes.ts";
export {
  CHECKPOINT_DTYPES,
  type CheckpointDType,
  type RandomCheckpointOptions,
  shapeConfigJson,
  writeRandomCheckpoint,
} from "./random_checkpoint.ts";
