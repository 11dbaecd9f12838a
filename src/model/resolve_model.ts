import { isAbsolute, join, resolve } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../util/atomic_write.ts";
import { downloadToCache } from "../util/download.ts";
import { cacheDir, embeddedDir, mirrorDir } from "../util/locations.ts";
import { ActpatError } from "../util/errors.ts";
import { joinInside } from "../util/contained_path.ts";

/** Options of {@link resolveModel}; each defaults to its environment variable. */
export interface ResolveOptions {
  /**
   * Folder of the models this repository embeds (`<embedded>/<ref>`), consulted before the mirror; `null`
   * disables it. Default `models/` at the repository root ({@link embeddedDir}).
   */
  embedded?: string | null;
  /** Mirror root holding `models/<owner>/<repo>/<path>`; `null` disables it. Default {@link mirrorDir}. */
  mirror?: string | null;
  /** Cache root; downloads go to `<cache>/hub/<owner>/<repo>/<path>`. Default `$ACTPAT_CACHE` or ~/.cache/actpat. */
  cacheDir?: string;
  /** Hub base URL. Default `$HF_ENDPOINT` or https://huggingface.co. */
  endpoint?: string;
  /** Hub access token (gated repositories). Default `$HF_TOKEN`. */
  token?: string;
  /** For a hub directory: fetch the tokenizer files only, not config.json and weights. */
  tokenizerOnly?: boolean;
  quiet?: boolean;
}

/** Where a model reference was found. */
export interface ResolvedModel {
  ref: string;
  /** Absolute path of the directory or file. */
  path: string;
  isFile: boolean;
  source: "local" | "embedded" | "mirror" | "hub";
}

/** A hub reference `owner/repo[/path/in/repo]`. */
export interface HubRef {
  owner: string;
  repo: string;
  /** Path inside the repository, "" for its root. */
  path: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** A last path segment with one of these extensions names a file, anything else a checkpoint folder. */
const FILE_EXT = /\.(bin|safetensors|json|model|txt)$/;
const TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"];
const OPTIONAL_FILES = new Set([
  "tokenizer_config.json",
  "special_tokens_map.json",
  "generation_config.json",
]);
/**
 * Written into a hub folder in the cache once all its files are there and verified, so later runs need no
 * network. A marker without `verified: true` (older versions) sends every file through the download again,
 * which verifies the cached copies against the hub.
 */
const COMPLETE = ".actpat-complete.json";

/** Splits `owner/repo[/path]`; null when `ref` is not shaped like a hub id. */
export function parseHubRef(ref: string): HubRef | null {
  const parts = ref.split("/");
  if (parts.length < 2 || !parts.every((p) => NAME.test(p) && p !== "." && p !== "..")) return null;
  return { owner: parts[0], repo: parts[1], path: parts.slice(2).join("/") };
}

/**
 * Resolves a model reference: an existing local file or directory; else the repository's own
 * `models/<ref>`; else `<mirror>/models/<ref>`; else a hub
 * id `owner/repo[/path]` downloaded into the cache (a folder: config.json, tokenizer files and
 * model.safetensors or the shard index and its shards; a path ending in .bin/.safetensors/.json: that file).
 * @example await resolveModel("karpathy/tinyllamas/stories260K/stories260K.bin")
 */
export async function resolveModel(ref: string, options: ResolveOptions = {}): Promise<ResolvedModel> {
  const home = Deno.env.get("HOME");
  const localPath = ref.startsWith("~/") && home ? join(home, ref.slice(2)) : ref;
  const local = await statOrNull(localPath);
  if (local) return { ref, path: resolve(localPath), isFile: local.isFile, source: "local" };
  const explicitPath = isAbsolute(ref) || /^(\.{1,2}|~)(\/|$)/.test(ref);
  if (explicitPath) throw new ActpatError(`resolve model ${ref}`, "no such file or directory");
  const embedded = options.embedded === undefined ? join(embeddedDir(), "models") : options.embedded;
  if (embedded && !ref.split("/").includes("..")) {
    const candidate = join(embedded, ref);
    const found = await statOrNull(candidate);
    if (found) return { ref, path: resolve(candidate), isFile: found.isFile, source: "embedded" };
  }
  const mirror = options.mirror === undefined ? mirrorDir() : options.mirror;
  // A reference that is not a local path is looked up under the mirror, else the cache: it may not leave them.
  const root = mirror ? join(mirror, "models") : join(options.cacheDir ?? cacheDir(), "hub");
  const candidate = joinInside(root, ref, { action: `resolve model ${ref}` });
  if (mirror) {
    const found = await statOrNull(candidate);
    if (found) return { ref, path: resolve(candidate), isFile: found.isFile, source: "mirror" };
  }
  const hub = parseHubRef(ref);
  if (!hub) {
    const where = mirror ? `, not in the mirror (${candidate})` : "";
    throw new ActpatError(
      `resolve model ${ref}`,
      `not a local path${where}, and not a hub id owner/repo[/path]`,
    );
  }
  return await downloadFromHub(ref, hub, options);
}

async function downloadFromHub(ref: string, hub: HubRef, options: ResolveOptions): Promise<ResolvedModel> {
  const endpoint = (options.endpoint ?? Deno.env.get("HF_ENDPOINT") ?? "https://huggingface.co").replace(
    /\/+$/,
    "",
  );
  const token = options.token ?? Deno.env.get("HF_TOKEN");
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const root = join(options.cacheDir ?? cacheDir(), "hub", hub.owner, hub.repo);
  const url = (file: string) =>
    `${endpoint}/${hub.owner}/${hub.repo}/resolve/main/${file.split("/").map(encodeURIComponent).join("/")}`;
  const fetchFile = (file: string) =>
    downloadToCache(url(file), join(root, file), { headers, quiet: options.quiet });

  if (FILE_EXT.test(hub.path)) {
    const { path } = await fetchFile(hub.path);
    return { ref, path, isFile: true, source: "hub" };
  }
  const dir = join(root, hub.path);
  const prefix = hub.path ? `${hub.path}/` : "";
  const marker = join(dir, options.tokenizerOnly ? `.tokenizer${COMPLETE}` : COMPLETE);
  if (await verifiedMarker(marker)) return { ref, path: dir, isFile: false, source: "hub" };

  const fetched: string[] = [];
  const fetchOptional = async (file: string) => {
    try {
      await fetchFile(prefix + file);
      fetched.push(file);
      return true;
    } catch (err) {
      if (err instanceof ActpatError && err.message.endsWith("not found (HTTP 404)")) return false;
      throw err;
    }
  };
  for (
    const file of options.tokenizerOnly
      ? TOKENIZER_FILES
      : ["config.json", ...TOKENIZER_FILES, "generation_config.json"]
  ) {
    const got = await fetchOptional(file);
    if (!got && !OPTIONAL_FILES.has(file)) {
      throw new ActpatError(`resolve model ${ref}`, `${url(prefix + file)} does not exist (HTTP 404)`);
    }
  }
  if (!options.tokenizerOnly) {
    if (await fetchOptional("model.safetensors.index.json")) {
      const index = await readIndex(join(dir, "model.safetensors.index.json"));
      for (const shard of index) {
        await fetchFile(prefix + shard);
        fetched.push(shard);
      }
    } else if (!(await fetchOptional("model.safetensors"))) {
      throw new ActpatError(
        `resolve model ${ref}`,
        `${url(prefix + "model.safetensors")} and model.safetensors.index.json do not exist (HTTP 404)`,
      );
    }
  }
  await writeFileAtomic(
    marker,
    JSON.stringify({ ref, endpoint, files: fetched, verified: true }, null, 2) + "\n",
  );
  return { ref, path: dir, isFile: false, source: "hub" };
}

const shardIndex = z.object({ weight_map: z.record(z.string(), z.string()) });

async function readIndex(path: string): Promise<string[]> {
  try {
    const shards = [
      ...new Set(Object.values(shardIndex.parse(JSON.parse(await Deno.readTextFile(path))).weight_map)),
    ];
    for (const s of shards) if (!NAME.test(s)) throw new Error(`shard name "${s}"`);
    return shards;
  } catch (err) {
    throw new ActpatError(
      `read ${path}`,
      `not a valid shard index (${err instanceof Error ? err.message : err})`,
    );
  }
}

async function verifiedMarker(path: string): Promise<boolean> {
  try {
    return JSON.parse(await Deno.readTextFile(path))?.verified === true;
  } catch {
    return false;
  }
}

async function statOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch {
    return null;
  }
}
