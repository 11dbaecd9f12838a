/** Storage dtypes of checkpoint tensors (safetensors names). */
export type StorageDType = "F32" | "F16" | "BF16";

/** Bytes per element of a storage dtype. */
export const STORAGE_BYTES: Record<StorageDType, number> = { F32: 4, F16: 2, BF16: 2 };

/**
 * Where a tensor's bytes live. `file`: a byte range of a file on disk (safetensors), read lazily or handed to
 * onnxruntime as external data without entering the JS heap. `memory`: converted data (llama2.c after its RoPE
 * permutation, pruned weights), always float32.
 */
export type TensorSource =
  | { kind: "file"; path: string; offset: number; byteLength: number }
  | { kind: "memory"; data: Float32Array };

/** One named weight tensor in Hugging Face naming and layout. */
export interface WeightTensor {
  name: string;
  dtype: StorageDType;
  shape: number[];
  source: TensorSource;
}

/** All weights of a checkpoint, by Hugging Face name (`model.layers.0.self_attn.q_proj.weight`, ...). */
export interface WeightStore {
  /** Names in checkpoint order. */
  names(): string[];
  /** The tensor; throws `Cannot find tensor: <name>` naming the checkpoint when missing. */
  get(name: string): WeightTensor;
  has(name: string): boolean;
  /** Reads a tensor as float32 (converting F16/BF16), for small tensors and tests. */
  readFloat32(name: string): Promise<Float32Array>;
}
