/**
 * onnxruntime's CUDA provider for `--ep cuda`, set up by actpat itself on first use. onnxruntime-node ships
 * without it (its installer fetches it from a feed many sites cannot reach); the official provider libraries
 * of the same onnxruntime version come from npm package `com.github.asus4.onnxruntime.linux-x64-gpu` (MIT,
 * Microsoft's licence inside). They are fetched only when a CUDA session is first asked for (a CPU user
 * downloads nothing), checked against pinned digests, and placed beside onnxruntime-node's
 * `libonnxruntime.so.1`, where onnxruntime looks for providers. Before a session opens, the GPU and the CUDA 13
 * and cuDNN 9 libraries the provider links against are checked, each missing one named with where to get it;
 * libraries found in `ACTPAT_CUDA_LIBRARY_PATH` are preloaded, so they need not be on `LD_LIBRARY_PATH`.
 */
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { downloadToCache, sha256File } from "../util/download.ts";
import { ActpatError } from "../util/errors.ts";
import { cacheDir } from "../util/locations.ts";
import { extractFromTarGz } from "../util/tar_gz.ts";

/** An npm package of provider libraries, pinned by digest. */
export interface ProviderPackage {
  name: string;
  version: string;
  tarballSha256: string;
  /** Library file name (under `package/Plugins/Linux/x64/`) → sha256. */
  files: Record<string, string>;
}

/** The npm package holding onnxruntime 1.29.0's CUDA provider (CUDA 13, cuDNN 9), pinned by digest. */
export const CUDA_PROVIDER_PACKAGE: ProviderPackage & { onnxruntime: string } = {
  name: "com.github.asus4.onnxruntime.linux-x64-gpu",
  version: "0.4.9",
  /** onnxruntime version of its libraries: must equal onnxruntime-node's (deno.json). */
  onnxruntime: "1.29.0",
  tarballSha256: "2b459e0c17f340c92970c10ed86de4f37a3009f93c14053e6ad4334cbb6be412",
  files: {
    "libonnxruntime_providers_cuda.so": "56cf3254b118ad837ccc4ed8f6d1b23504bbf7ef91b34cbc0b289cb7f10b3037",
    "libonnxruntime_providers_shared.so": "c6a12593396095f5670160e284c35d1700b7708cf3037b7042e2a5200ccae772",
  },
};

/** The shared libraries the CUDA provider needs, in load order, and where a user gets each. */
export const CUDA_LIBRARIES: readonly { soname: string; from: string }[] = [
  { soname: "libcudart.so.13", from: "the CUDA 13 toolkit, or pip nvidia-cuda-runtime (cu13)" },
  { soname: "libcublasLt.so.13", from: "the CUDA 13 toolkit, or pip nvidia-cublas (cu13)" },
  { soname: "libcublas.so.13", from: "the CUDA 13 toolkit, or pip nvidia-cublas (cu13)" },
  { soname: "libcurand.so.10", from: "the CUDA 13 toolkit, or pip nvidia-curand (cu13)" },
  { soname: "libcudnn.so.9", from: "cuDNN 9 for CUDA 13, or pip nvidia-cudnn-cu13" },
];

/** The npm registry (`NPM_CONFIG_REGISTRY`, as npm reads it, else registry.npmjs.org). */
function registry(): string {
  return (Deno.env.get("NPM_CONFIG_REGISTRY") ?? Deno.env.get("npm_config_registry") ??
    "https://registry.npmjs.org").replace(/\/+$/, "");
}

/** A package's tarball address on the registry. */
export function tarballUrl(pkg: ProviderPackage): string {
  const { name, version } = pkg;
  return `${registry()}/${name}/-/${name}-${version}.tgz`;
}

/**
 * Makes sure `dir` (onnxruntime-node's binding folder) holds the provider libraries with the pinned digests:
 * a marker records the size and mtime of files already checked, so a warm start reads nothing; otherwise the
 * package tarball is taken from the cache or downloaded (sha256-checked), and the two libraries extracted.
 */
export async function installCudaProvider(
  dir: string,
  opts: { quiet?: boolean; pkg?: ProviderPackage } = {},
): Promise<void> {
  const pkg = opts.pkg ?? CUDA_PROVIDER_PACKAGE;
  const files = Object.entries(pkg.files);
  const marker = join(dir, ".actpat-cuda-provider.json");
  const stamp = () =>
    JSON.stringify(files.map(([f]) => {
      const s = Deno.statSync(join(dir, f));
      return [f, s.size, s.mtime?.getTime()];
    }));
  try {
    if (Deno.readTextFileSync(marker) === stamp()) return;
  } catch { /* not installed, or not checked yet */ }
  const present = await Promise.all(
    files.map(async ([f, sha]) => existsSync(join(dir, f)) && (await sha256File(join(dir, f))) === sha),
  );
  if (!present.every(Boolean)) {
    const { name, version } = pkg;
    const tarball = join(cacheDir(), "npm", `${name}-${version}.tgz`);
    if (!opts.quiet) console.error(`Fetching onnxruntime's CUDA provider (npm ${name}@${version}) …`);
    await downloadToCache(tarballUrl(pkg), tarball, {
      sha256: pkg.tarballSha256,
      quiet: opts.quiet,
    });
    try {
      await extractFromTarGz(
        tarball,
        new Map(files.map(([f]) => [`package/Plugins/Linux/x64/${f}`, join(dir, f)])),
      );
    } catch (err) {
      throw new ActpatError(
        "install the CUDA provider",
        `into ${dir} (onnxruntime-node's folder must be writable): ${(err as Error).message}`,
        { cause: err },
      );
    }
    for (const [f, sha] of files) {
      const got = await sha256File(join(dir, f));
      if (got !== sha) {
        await Deno.remove(join(dir, f)).catch(() => {});
        throw new ActpatError("install the CUDA provider", `${f} has sha256 ${got}, expected ${sha}`);
      }
    }
  }
  await Deno.writeTextFile(marker, stamp());
}

/** Handles of preloaded libraries: kept for the process's life, so onnxruntime's loader finds them loaded. */
const preloaded: Deno.DynamicLibrary<Record<string, never>>[] = [];

function tryLoad(path: string): boolean {
  try {
    preloaded.push(Deno.dlopen(path, {}));
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks the NVIDIA driver and a GPU (through libcuda's driver API) and loads the CUDA and cuDNN libraries:
 * by soname through the system's search path (`LD_LIBRARY_PATH`, ldconfig), else from the folders of
 * `ACTPAT_CUDA_LIBRARY_PATH`. Throws one error naming every missing piece and where to get it.
 */
export function loadCudaLibraries(): void {
  let driver: Deno.DynamicLibrary<{
    cuInit: { parameters: ["u32"]; result: "i32" };
    cuDeviceGetCount: { parameters: ["buffer"]; result: "i32" };
  }>;
  try {
    driver = Deno.dlopen("libcuda.so.1", {
      cuInit: { parameters: ["u32"], result: "i32" },
      cuDeviceGetCount: { parameters: ["buffer"], result: "i32" },
    });
  } catch {
    throw new ActpatError(
      "use --ep cuda",
      "libcuda.so.1 (the NVIDIA driver) is not on this machine; install the NVIDIA driver, or use --ep webgpu or cpu",
    );
  }
  const count = new Int32Array(1);
  const init = driver.symbols.cuInit(0);
  const got = init === 0 ? driver.symbols.cuDeviceGetCount(new Uint8Array(count.buffer)) : init;
  if (got !== 0 || count[0] < 1) {
    throw new ActpatError(
      "use --ep cuda",
      `the NVIDIA driver finds no usable GPU (CUDA driver error ${got}, ${count[0]} devices)`,
    );
  }
  const extra = (Deno.env.get("ACTPAT_CUDA_LIBRARY_PATH") ?? "").split(delimiter).filter((d) => d);
  const missing = CUDA_LIBRARIES.filter(({ soname }) =>
    !tryLoad(soname) && !extra.some((d) => existsSync(join(d, soname)) && tryLoad(join(d, soname)))
  );
  if (missing.length) {
    throw new ActpatError(
      "use --ep cuda",
      `the CUDA provider needs ${missing.map((m) => `${m.soname} (${m.from})`).join(", ")}; ` +
        "put their folders on LD_LIBRARY_PATH or ACTPAT_CUDA_LIBRARY_PATH",
    );
  }
}
