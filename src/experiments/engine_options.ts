/**
 * How an experiment drives the engine: execution provider, compute dtype, intra-op threads, TF32. One schema
 * for the tasks' `--ep`, `--dtype`, `--threads` and `--tf32` flags, the reproduce config and every experiment's options; a
 * value of it is the `LlamaRunOptions` that `LlamaRunner` takes.
 */
import { z } from "zod";
import type { ComputeDType } from "../model/llama/_weights.ts";
import { EXECUTION_PROVIDERS } from "../onnx/mod.ts";

/** Compute dtypes, spelled as everywhere else in actpat (`--dtype`, configs, manifests). */
export const COMPUTE_DTYPES = [
  "float32",
  "float16",
  "bfloat16",
  "float64",
] as const satisfies readonly ComputeDType[];

/** Schema of {@link EngineOptions}. */
export const EngineOptions = z.strictObject({
  ep: z.enum(EXECUTION_PROVIDERS).default("cpu").describe("execution provider"),
  dtype: z.enum(COMPUTE_DTYPES).default("float32").describe("compute dtype"),
  threads: z.number().int().positive().optional().describe("intra-op threads (default: onnxruntime's)"),
  tf32: z.boolean().optional().describe("CUDA: TF32 for float32 matrix products (PyTorch's allow_tf32)"),
});

/** Execution provider, compute dtype, threads and TF32 of one run; tests may also set the graph cache's root. */
export type EngineOptions = z.infer<typeof EngineOptions> & {
  /** Graph cache root (default `<ACTPAT_CACHE>/graphs`); false builds graphs in memory (tests). */
  cache?: string | false;
};
