import { join } from "node:path";
import { downloadToCache, sha256File } from "../util/download.ts";
import { cacheDir, embeddedDir, mirrorDir } from "../util/locations.ts";
import { ActpatError } from "../util/errors.ts";
import type { DataFile, SplitSource } from "./dataset_spec.ts";

/** Where dataset files come from, tried in this order: embedded, mirror, cache, download. */
export interface ResolveOptions {
  /**
   * Root of the files this repository embeds (`<root>/datasets/<folder>/<file>`); default {@link embeddedDir}
   * (the repository itself); `null` disables it.
   */
  embedded?: string | null;
  /** Mirror root (`<mirror>/datasets/<folder>/<file>`); default `mirrorDir()` (`$ACTPAT_MIRROR`, else `../shared/hub` beside the repo); `null` disables the mirror. */
  mirror?: string | null;
  /** Cache root (`<cache>/datasets/<folder>/<file>`); default `$ACTPAT_CACHE` or `~/.cache/actpat`. */
  cache?: string;
  /** Allow downloads (default true). */
  download?: boolean;
  /** No progress output while downloading. */
  quiet?: boolean;
}

/** A dataset file found on disk, with its digest (recorded in run manifests). */
export interface ResolvedFile {
  file: string;
  path: string;
  sha256: string;
  bytes: number;
  from: "embedded" | "mirror" | "cache" | "download";
  url?: string;
}

/** The files of one source of a split, all resolved. */
export interface ResolvedSource {
  source: SplitSource;
  files: ResolvedFile[];
}

/** A split of a dataset, and the dataset's folder in the mirror and the cache. */
export interface SplitLocation {
  dataset: string;
  folder: string;
  split: string;
}

/** Where a split can be had without loading it: for `deno task data --list`. */
export type Availability = "embedded" | "mirror" | "cache" | "downloadable" | "unavailable";

/** Whether a split of this availability is on disk (read without any download). */
export function onDisk(availability: Availability): boolean {
  return availability === "embedded" || availability === "mirror" || availability === "cache";
}

/** The mirror root from the options or `$ACTPAT_MIRROR`; undefined when there is none. */
export function mirrorRoot(options: ResolveOptions): string | undefined {
  if (options.mirror === null) return undefined;
  return options.mirror ?? mirrorDir() ?? undefined;
}

function embeddedRoot(options: ResolveOptions): string | undefined {
  if (options.embedded === null) return undefined;
  return options.embedded ?? embeddedDir();
}

function cacheRoot(options: ResolveOptions): string {
  return options.cache ?? cacheDir();
}

/** `<root>/datasets/<folder>/<file>`: the layout of the mirror and of the repository's embedded files. */
function mirrorPath(root: string, folder: string, file: DataFile): string {
  return join(root, "datasets", folder, file.file);
}

function cachePath(root: string, folder: string, file: DataFile): string {
  return join(root, "datasets", folder, file.file);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** Availability of a split from its sources, without reading or hashing any file. */
export async function splitAvailability(
  folder: string,
  sources: SplitSource[],
  options: ResolveOptions = {},
): Promise<Availability> {
  const embedded = embeddedRoot(options);
  const mirror = mirrorRoot(options);
  const all = async (source: SplitSource, path: (f: DataFile) => string) => {
    for (const f of source.files) if (!(await isFile(path(f)))) return false;
    return true;
  };
  for (const s of sources) {
    if (embedded && await all(s, (f) => mirrorPath(embedded, folder, f))) return "embedded";
  }
  for (const s of sources) {
    if (mirror && await all(s, (f) => mirrorPath(mirror, folder, f))) return "mirror";
  }
  const cache = cacheRoot(options);
  for (const s of sources) if (await all(s, (f) => cachePath(cache, folder, f))) return "cache";
  if (sources.some((s) => s.files.every((f) => f.url))) return "downloadable";
  return "unavailable";
}

/**
 * Resolves the files of a split: the first source wholly embedded in the repository, else the first wholly in
 * the mirror, else the first wholly in the cache, else the first that downloads. Every file is hashed and
 * checked against the registry's sha256 where known.
 * Throws `Cannot load dataset "<name>": split "<split>" is not in the mirror (...) and download failed (...)`.
 */
export async function resolveSplitFiles(
  location: SplitLocation,
  sources: SplitSource[],
  options: ResolveOptions = {},
): Promise<ResolvedSource> {
  const { folder, split } = location;
  const action = `load dataset "${location.dataset}"`;
  const mirror = mirrorRoot(options);
  for (const [root, from] of [[embeddedRoot(options), "embedded"], [mirror, "mirror"]] as const) {
    if (!root) continue;
    for (const source of sources) {
      const paths = source.files.map((f) => mirrorPath(root, folder, f));
      if (!(await allFiles(paths))) continue;
      const files: ResolvedFile[] = [];
      for (const [i, f] of source.files.entries()) files.push(await hashChecked(action, f, paths[i], from));
      return { source, files };
    }
  }
  const cache = cacheRoot(options);
  for (const source of sources) {
    const paths = source.files.map((f) => cachePath(cache, folder, f));
    if (!(await allFiles(paths))) continue;
    const files: ResolvedFile[] = [];
    for (const [i, f] of source.files.entries()) {
      // A cached download whose digest disagrees with the registry is fetched again (unless downloads are off).
      files.push(
        f.url && options.download !== false
          ? {
            ...fromDownload(f, await downloadToCache(f.url, paths[i], download(f, options))),
            from: "cache",
          }
          : await hashChecked(action, f, paths[i], "cache"),
      );
    }
    return { source, files };
  }
  const failures: string[] = [];
  if (options.download === false) failures.push("downloads are disabled");
  else {
    for (const source of sources) {
      const missing = source.files.find((f) => !f.url);
      if (missing) {
        failures.push(`${missing.file}: no download URL`);
        continue;
      }
      try {
        const files: ResolvedFile[] = [];
        for (const f of source.files) {
          const got = await downloadToCache(f.url!, cachePath(cache, folder, f), download(f, options));
          files.push({ ...fromDownload(f, got), from: "download" });
        }
        return { source, files };
      } catch (err) {
        failures.push(err instanceof Error ? err.message.replace(/^Cannot /, "") : String(err));
      }
    }
  }
  const where = mirror
    ? sources.map((s) => s.files.map((f) => mirrorPath(mirror, folder, f)).join(" + ")).join(" or ")
    : "ACTPAT_MIRROR is not set";
  throw new ActpatError(
    action,
    `split "${split}" is not in the mirror (${where}) nor the cache and download failed (${
      failures.join("; ")
    })`,
  );
}

function download(f: DataFile, options: ResolveOptions) {
  return { sha256: f.sha256, quiet: options.quiet };
}

function fromDownload(f: DataFile, got: { path: string; sha256: string; bytes: number }) {
  return { file: f.file, path: got.path, sha256: got.sha256, bytes: got.bytes, url: f.url };
}

async function allFiles(paths: string[]): Promise<boolean> {
  for (const p of paths) if (!(await isFile(p))) return false;
  return true;
}

async function hashChecked(
  action: string,
  f: DataFile,
  path: string,
  from: "embedded" | "mirror" | "cache",
): Promise<ResolvedFile> {
  const sha256 = await sha256File(path);
  if (f.sha256 && sha256 !== f.sha256) {
    throw new ActpatError(
      action,
      `${path} has sha256 ${sha256}, expected ${f.sha256} (a different or damaged file)`,
    );
  }
  const bytes = (await Deno.stat(path)).size;
  return { file: f.file, path, sha256, bytes, from, ...(f.url ? { url: f.url } : {}) };
}
