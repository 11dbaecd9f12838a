/**
 * The one place that creates onnxruntime sessions, plus a small `runSession` helper that feeds and returns
 * typed arrays.
 */
import * as ort from "onnxruntime-node";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import { ActpatError } from "../util/errors.ts";
import { checkTypedArray, type DType, type TypedArray } from "./dtype.ts";
import { externalDataDir } from "./serialize.ts";

/** Execution providers actpat accepts for `--ep`. */
export const EXECUTION_PROVIDERS = ["cpu", "webgpu", "cuda"] as const;

/** An execution provider name. */
export type ExecutionProvider = typeof EXECUTION_PROVIDERS[number];

/** Validates an `--ep` flag value (default `cpu` when undefined). */
export function parseEp(flag: string | undefined): ExecutionProvider {
  if (flag === undefined || flag === "") return "cpu";
  const f = flag.toLowerCase();
  if ((EXECUTION_PROVIDERS as readonly string[]).includes(f)) return f as ExecutionProvider;
  throw new ActpatError(
    "parse --ep",
    `"${flag}" is not an execution provider; use one of ${EXECUTION_PROVIDERS.join(", ")}`,
  );
}

const HOW_TO_GET: Record<ExecutionProvider, string> = {
  cpu: "",
  webgpu:
    "onnxruntime-node bundles WebGPU on Linux x64, Windows and macOS; it needs a Vulkan/Metal/D3D12 GPU driver",
  cuda: "onnxruntime-node installs its CUDA 12 binaries at npm install time on Linux x64 " +
    "(reinstall without --onnxruntime-node-install=skip, with network access, and CUDA 12 + cuDNN 9 on the library path); " +
    "or use --ep webgpu",
};

function bindingDir(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const main = require.resolve("onnxruntime-node");
    return join(
      dirname(main),
      "..",
      "bin",
      "napi-v6",
      Deno.build.os === "windows" ? "win32" : Deno.build.os,
      Deno.build.arch === "x86_64" ? "x64" : "arm64",
    );
  } catch {
    return undefined;
  }
}

/** Why `ep` cannot run in this onnxruntime-node build, or undefined when it is available. */
export function epUnavailableReason(ep: ExecutionProvider): string | undefined {
  if (ep === "cpu") return undefined;
  const backend = ort.listSupportedBackends().find((b) => b.name === ep);
  if (!backend) return "the build does not list it";
  if (backend.bundled) return undefined;
  const dir = bindingDir();
  if (dir && existsSync(join(dir, `libonnxruntime_providers_${ep}.so`))) return undefined;
  return `its provider library libonnxruntime_providers_${ep}.so is not installed${dir ? ` in ${dir}` : ""}`;
}

/** Options of {@link createSession}. */
export interface SessionOptions {
  ep?: ExecutionProvider;
  /** Intra-op threads (CPU); onnxruntime's default (all cores) when omitted. */
  threads?: number;
  /** Graph optimization level; "all" by default. */
  optimization?: "disabled" | "basic" | "extended" | "all";
  /**
   * Keep freed CPU buffers in onnxruntime's arena for reuse (default true). The arena never returns memory,
   * so a graph whose intermediates are weight-sized (activation gradients) keeps its largest working set
   * resident after each run; false allocates and frees each buffer instead.
   */
  cpuArena?: boolean;
}

/**
 * Opens an onnxruntime session on a model file or model bytes. The model is handed over as bytes with
 * onnxruntime's external-data folder set to the one recorded by `serializeGraph` (see serialize.ts for why).
 */
export async function createSession(
  model: string | Uint8Array,
  opts: SessionOptions = {},
): Promise<ort.InferenceSession> {
  const ep = opts.ep ?? "cpu";
  const reason = epUnavailableReason(ep);
  if (reason) {
    throw new ActpatError(
      "create session",
      `execution provider "${ep}" is not available in this onnxruntime-node build (${reason}; ${
        HOW_TO_GET[ep]
      })`,
    );
  }
  if (opts.threads !== undefined && !(Number.isInteger(opts.threads) && opts.threads > 0)) {
    throw new ActpatError("create session", `thread count ${opts.threads} is not a positive integer`);
  }
  const what = typeof model === "string" ? model : `${model.byteLength}-byte model`;
  let bytes: Uint8Array;
  try {
    bytes = typeof model === "string" ? await Deno.readFile(model) : model;
  } catch (err) {
    throw new ActpatError("create session", `model file ${model} cannot be read`, { cause: err });
  }
  const extDir = externalDataDir(bytes);
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: [
      ep === "webgpu" ? { name: "webgpu", storageBufferCacheMode: webgpuBufferCache() } : ep,
    ],
    graphOptimizationLevel: opts.optimization ?? "all",
    ...(opts.threads ? { intraOpNumThreads: opts.threads, interOpNumThreads: 1 } : {}),
    ...(opts.cpuArena === false ? { enableCpuMemArena: false } : {}),
    extra: {
      session: {
        // Pre-packing gives each MatMul/Gemm weight a second, reordered resident copy made at session
        // creation; without it the weights stay in the memory-mapped checkpoint only (for a Llama-2-7B-sized
        // layer: 2.4 GiB less at creation, creation 10 s → 0.2 s, no slower run on CPU; bench/RESULTS.md).
        disable_prepacking: "1",
        ...(extDir ? { model_external_initializers_file_folder_path: extDir } : {}),
      },
    },
  };
  try {
    return await ort.InferenceSession.create(bytes, options);
  } catch (err) {
    throw new ActpatError("create session", `${what} on ${ep}: ${(err as Error).message}`, { cause: err });
  }
}

const WEBGPU_BUFFER_CACHES = ["disabled", "lazyRelease", "simple", "bucket"] as const;

/**
 * The WebGPU provider's storage-buffer cache (`ACTPAT_WEBGPU_BUFFER_CACHE`, default "bucket", onnxruntime's own
 * default). "simple" keeps every released buffer for reuse by size: with the activation-gradient graphs, whose
 * per-sample intermediates are GiB-sized, "bucket" creates those buffers afresh in every run.
 */
export function webgpuBufferCache(): (typeof WEBGPU_BUFFER_CACHES)[number] {
  const v = Deno.env.get("ACTPAT_WEBGPU_BUFFER_CACHE");
  if (v === undefined || v === "") return "bucket";
  if ((WEBGPU_BUFFER_CACHES as readonly string[]).includes(v)) {
    return v as (typeof WEBGPU_BUFFER_CACHES)[number];
  }
  throw new ActpatError(
    "create session",
    `ACTPAT_WEBGPU_BUFFER_CACHE="${v}" is not one of ${WEBGPU_BUFFER_CACHES.join(", ")}`,
  );
}

/** A tensor fed to or returned by {@link runSession}. */
export interface HostTensor {
  dtype: DType;
  dims: readonly number[];
  data: TypedArray;
}

/** Builds a host tensor (checking the typed array class and element count). */
export function hostTensor(dtype: DType, dims: readonly number[], data: TypedArray): HostTensor {
  checkTypedArray(dtype, data, "a host tensor");
  const n = dims.reduce((a, b) => a * b, 1);
  if (n !== data.length) {
    throw new ActpatError(
      "build host tensor",
      `dims [${dims.join(", ")}] need ${n} elements, data has ${data.length}`,
    );
  }
  return { dtype, dims, data };
}

function toOrt(name: string, t: HostTensor): ort.Tensor {
  if (t.dtype === "bfloat16") {
    throw new ActpatError(
      "feed input",
      `${name}: bfloat16 cannot cross the JS boundary; feed float32 and cast in-graph`,
    );
  }
  return new ort.Tensor(t.dtype as "float32", t.data as Float32Array, t.dims as number[]);
}

/** Runs a session on host tensors and returns every output (or those named in `outputs`) as host tensors. */
export async function runSession(
  session: ort.InferenceSession,
  feeds: Record<string, HostTensor>,
  opts: { outputs?: readonly string[] } = {},
): Promise<Record<string, HostTensor>> {
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [k, t] of Object.entries(feeds)) ortFeeds[k] = toOrt(k, t);
  let res: ort.InferenceSession.ReturnType;
  try {
    res = opts.outputs ? await session.run(ortFeeds, [...opts.outputs]) : await session.run(ortFeeds);
  } catch (err) {
    throw new ActpatError("run session", (err as Error).message, { cause: err });
  }
  const out: Record<string, HostTensor> = {};
  for (const [k, t] of Object.entries(res)) {
    out[k] = { dtype: t.type as DType, dims: [...t.dims], data: t.data as TypedArray };
    t.dispose?.();
  }
  return out;
}
