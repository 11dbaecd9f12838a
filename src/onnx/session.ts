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
import { externalDataDir, serializeGraph } from "./serialize.ts";
import { Graph } from "./graph.ts";
import { identity } from "./ops.ts";
import { installCudaProvider, loadCudaLibraries } from "./cuda_provider.ts";

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
  cuda: "actpat installs onnxruntime's CUDA provider from npm on first use (Linux x64, CUDA 13, cuDNN 9); " +
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
  /**
   * CUDA: let cuBLAS use TF32 tensor cores for float32 matrix products (PyTorch's
   * `torch.backends.cuda.matmul.allow_tf32`; default false, PyTorch's default). It sets
   * `NVIDIA_TF32_OVERRIDE`, which is process-wide: one process keeps one setting.
   */
  tf32?: boolean;
  /**
   * Outputs a GPU provider leaves in device memory (returned as {@link DeviceTensor}s, which later runs take
   * as inputs without a copy). On `cpu` they come back as host tensors like the others.
   */
  deviceOutputs?: readonly string[];
}

/** The provider each session was opened on (device tensors remember theirs). */
const sessionEps = new WeakMap<ort.InferenceSession, ExecutionProvider>();

/**
 * Opens an onnxruntime session on a model file or model bytes. The model is handed over as bytes with
 * onnxruntime's external-data folder set to the one recorded by `serializeGraph` (see serialize.ts for why).
 */
export async function createSession(
  model: string | Uint8Array,
  opts: SessionOptions = {},
): Promise<ort.InferenceSession> {
  const ep = opts.ep ?? "cpu";
  if (ep === "cuda") {
    await cudaReady();
    useTf32(opts.tf32 ?? false);
  }
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
    ...(ortLogLevel() !== undefined ? { logSeverityLevel: ortLogLevel() } : {}),
    ...(opts.threads ? { intraOpNumThreads: opts.threads, interOpNumThreads: 1 } : {}),
    ...(opts.cpuArena === false ? { enableCpuMemArena: false } : {}),
    // onnxruntime-node keeps outputs in device memory on WebGPU only ("gpu-buffer"); CUDA runs keep state on
    // the device inside one run instead (Loop graphs).
    ...(ep === "webgpu" && opts.deviceOutputs?.length
      ? { preferredOutputLocation: Object.fromEntries(opts.deviceOutputs.map((n) => [n, "gpu-buffer"])) }
      : {}),
    extra: {
      session: {
        // Pre-packing gives each MatMul/Gemm weight a second, reordered resident copy made at session
        // creation; without it the weights stay in the memory-mapped checkpoint only (for a Llama-2-7B-sized
        // layer: 2.4 GiB less at creation, creation 10 s → 0.2 s, no slower run on CPU; bench/RESULTS.md).
        disable_prepacking: "1",
        // CUDA: weights straight from cudaMalloc, outside the BFC arena, whose power-of-two extensions would
        // otherwise be sized after tens of GB of weights (a suspect in the 32-layer run's out-of-memory).
        ...(ep === "cuda" ? { use_device_allocator_for_initializers: "1" } : {}),
        ...(extDir ? { model_external_initializers_file_folder_path: extDir } : {}),
      },
    },
  };
  try {
    const session = await ort.InferenceSession.create(bytes, options);
    sessionEps.set(session, ep);
    return session;
  } catch (err) {
    const message = (err as Error).message;
    if (ep === "webgpu" && NO_ADAPTER.test(message)) {
      throw new ActpatError(
        "use --ep webgpu",
        'WebGPU found no GPU adapter (onnxruntime: "No supported adapters"). On Linux it runs through ' +
          "Vulkan: install a Vulkan loader (Debian/Ubuntu: libvulkan1) and your GPU's Vulkan driver (NVIDIA: " +
          "the proprietary driver, whose package brings its Vulkan ICD; AMD/Intel: mesa-vulkan-drivers); " +
          "`vulkaninfo --summary` should list the GPU. Or use --ep cpu, or --ep cuda on an NVIDIA GPU",
        { cause: err },
      );
    }
    throw new ActpatError("create session", `${what} on ${ep}: ${message}`, { cause: err });
  }
}

/** onnxruntime's message when Dawn finds no WebGPU adapter (no Vulkan loader, no driver, no GPU). */
const NO_ADAPTER = /Failed to get a WebGPU adapter|No supported adapters|RequestAdapterStatus/;

let cudaSetup: Promise<void> | undefined;

/** Installs (once per process) the CUDA provider and loads the libraries it needs; see cuda_provider.ts. */
function cudaReady(): Promise<void> {
  cudaSetup ??= (async () => {
    const dir = bindingDir();
    if (!dir) throw new ActpatError("use --ep cuda", "onnxruntime-node's binding folder cannot be found");
    if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") {
      throw new ActpatError(
        "use --ep cuda",
        `the CUDA provider from npm is built for Linux x64, not ${Deno.build.os} ${Deno.build.arch}`,
      );
    }
    // The driver and libraries first: a machine that cannot run CUDA downloads nothing.
    loadCudaLibraries();
    await installCudaProvider(dir);
  })();
  cudaSetup.catch(() => cudaSetup = undefined);
  return cudaSetup;
}

let tf32Setting: boolean | undefined;

/** Sets TF32 for the process's CUDA sessions (cuBLAS reads NVIDIA_TF32_OVERRIDE when a session opens). */
function useTf32(on: boolean): void {
  if (tf32Setting !== undefined && tf32Setting !== on) {
    throw new ActpatError("create session", `TF32 is already ${tf32Setting ? "on" : "off"} in this process`);
  }
  tf32Setting = on;
  if (on) Deno.env.delete("NVIDIA_TF32_OVERRIDE");
  else Deno.env.set("NVIDIA_TF32_OVERRIDE", "0");
}

/**
 * onnxruntime's log level for new sessions from `ACTPAT_ORT_LOG` (verbose, info, warning, error, fatal; default
 * its own, warning): `info` lists the nodes a GPU session leaves on the CPU.
 */
function ortLogLevel(): 0 | 1 | 2 | 3 | 4 | undefined {
  const v = Deno.env.get("ACTPAT_ORT_LOG");
  if (!v) return undefined;
  const levels = ["verbose", "info", "warning", "error", "fatal"];
  if (!levels.includes(v)) {
    throw new ActpatError("create session", `ACTPAT_ORT_LOG="${v}" is not one of ${levels.join(", ")}`);
  }
  return levels.indexOf(v) as 0 | 1 | 2 | 3 | 4;
}

const WEBGPU_BUFFER_CACHES = ["disabled", "lazyRelease", "simple", "bucket"] as const;

/**
 * The WebGPU provider's storage-buffer cache (`ACTPAT_WEBGPU_BUFFER_CACHE`, default "simple"). "simple" hands a
 * released buffer to the next request of its size at once, so the activation-gradient graphs' chain of
 * per-sample [out, in] products reuses a few buffers; with onnxruntime's own default, "bucket", a run keeps
 * every such buffer until it ends (a 32-layer Llama-2-7B shape ran out of the H100's 80 GB in its first run;
 * 2 layers: 2.0 vs 3.2 s per call; bench/RESULTS.md). Its cost: cached buffers are never returned.
 */
export function webgpuBufferCache(): (typeof WEBGPU_BUFFER_CACHES)[number] {
  const v = Deno.env.get("ACTPAT_WEBGPU_BUFFER_CACHE");
  if (v === undefined || v === "") return "simple";
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

/**
 * A tensor left in a GPU provider's memory by a run (see {@link SessionOptions.deviceOutputs}): feed it to a
 * later run of a session on the same provider, bring it to the host with {@link toHost}, and release it when
 * done (device memory is not garbage-collected in time).
 */
export class DeviceTensor {
  #tensor: ort.Tensor | undefined;
  readonly dtype: DType;
  readonly dims: readonly number[];

  constructor(tensor: ort.Tensor, readonly ep: ExecutionProvider) {
    this.#tensor = tensor;
    this.dtype = tensor.type as DType;
    this.dims = [...tensor.dims];
  }

  /** The onnxruntime tensor (for feeding); throws once released. */
  get tensor(): ort.Tensor {
    if (!this.#tensor) throw new ActpatError("use device tensor", "it was released");
    return this.#tensor;
  }

  /** Frees the device memory. */
  release(): void {
    this.#tensor?.dispose();
    this.#tensor = undefined;
  }
}

/** A run's input or output: on the host, or in device memory. */
export type SessionValue = HostTensor | DeviceTensor;

function toOrt(name: string, t: SessionValue): ort.Tensor {
  if (t instanceof DeviceTensor) return t.tensor;
  if (t.dtype === "bfloat16") {
    throw new ActpatError(
      "feed input",
      `${name}: bfloat16 cannot cross the JS boundary; feed float32 and cast in-graph`,
    );
  }
  return new ort.Tensor(t.dtype as "float32", t.data as Float32Array, t.dims as number[]);
}

/**
 * Runs a session and returns every output (or those named in `outputs`): host tensors, and device tensors for
 * the session's {@link SessionOptions.deviceOutputs}.
 */
export async function runSessionValues(
  session: ort.InferenceSession,
  feeds: Record<string, SessionValue>,
  opts: { outputs?: readonly string[] } = {},
): Promise<Record<string, SessionValue>> {
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [k, t] of Object.entries(feeds)) ortFeeds[k] = toOrt(k, t);
  let res: ort.InferenceSession.ReturnType;
  try {
    res = opts.outputs ? await session.run(ortFeeds, [...opts.outputs]) : await session.run(ortFeeds);
  } catch (err) {
    throw new ActpatError("run session", (err as Error).message, { cause: err });
  }
  const out: Record<string, SessionValue> = {};
  for (const [k, t] of Object.entries(res)) {
    if (t.location === "gpu-buffer") {
      out[k] = new DeviceTensor(t, sessionEps.get(session) ?? "webgpu");
    } else {
      out[k] = { dtype: t.type as DType, dims: [...t.dims], data: t.data as TypedArray };
      t.dispose?.();
    }
  }
  return out;
}

/** Runs a session on host (or device) tensors and returns every output (or those named) as host tensors. */
export async function runSession(
  session: ort.InferenceSession,
  feeds: Record<string, SessionValue>,
  opts: { outputs?: readonly string[] } = {},
): Promise<Record<string, HostTensor>> {
  const out = await runSessionValues(session, feeds, opts);
  for (const [k, v] of Object.entries(out)) {
    if (v instanceof DeviceTensor) {
      v.release();
      throw new ActpatError("run session", `output ${k} stayed on the device; use runSessionValues`);
    }
  }
  return out as Record<string, HostTensor>;
}

const downloads = new Map<string, Promise<ort.InferenceSession>>();

/**
 * A value on the host: host tensors as they are; a device tensor copied through a one-node Identity session
 * of its provider, whose output lives on the host (onnxruntime-node's own download crashes the process).
 */
export async function toHost(value: SessionValue): Promise<HostTensor> {
  if (!(value instanceof DeviceTensor)) return value;
  const key = `${value.ep}:${value.dtype}:${value.dims.length}`;
  let session = downloads.get(key);
  if (!session) {
    const g = new Graph("download");
    const dims = value.dims.map((_, i) => `d${i}`);
    g.output(identity(g.input("device", value.dtype, dims)), "host");
    session = createSession(serializeGraph(g), { ep: value.ep });
    downloads.set(key, session);
    session.catch(() => downloads.delete(key));
  }
  const { host } = await runSession(await session, { device: value });
  return host;
}
