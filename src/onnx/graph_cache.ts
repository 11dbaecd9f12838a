/**
 * On-disk cache of serialized graphs, keyed by a sha256 of everything the graph depends on. The caller's key
 * must name all of it (architecture config, graph kind, shapes, dtype, and the weight files the graph points
 * at); the opset and {@link GRAPH_FORMAT_VERSION} are added here.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { ActpatError } from "../util/errors.ts";
import { writeFileAtomic } from "../util/atomic_write.ts";
import { cacheDir } from "../util/locations.ts";
import { type Graph, OPSET } from "./graph.ts";
import { serializeGraph } from "./serialize.ts";

/** Bump when graph builders change what they emit for the same key, to invalidate old cache entries. */
export const GRAPH_FORMAT_VERSION = 1;

function canonicalJson(v: unknown, path: string): string {
  if (v === null || typeof v === "boolean" || typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new ActpatError("hash graph key", `${path} is ${v}`);
    return JSON.stringify(v);
  }
  if (Array.isArray(v)) return `[${v.map((x, i) => canonicalJson(x, `${path}[${i}]`)).join(",")}]`;
  if (typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
    return `{${
      entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x, `${path}.${k}`)}`).join(",")
    }}`;
  }
  throw new ActpatError("hash graph key", `${path} is a ${typeof v}; keys must be plain JSON data`);
}

/** The sha256 (hex) naming a graph in the cache: of the canonical JSON of key, opset and format version. */
export function graphKeyHash(key: unknown): string {
  const text = canonicalJson({ format: GRAPH_FORMAT_VERSION, opset: OPSET, key }, "key");
  return createHash("sha256").update(text).digest("hex");
}

/** Where a graph with this key is cached: `<cacheDir>/graphs/<hash>.onnx`. */
export function graphCachePath(key: unknown, opts: { root?: string } = {}): string {
  return join(opts.root ?? cacheDir(), "graphs", `${graphKeyHash(key)}.onnx`);
}

/**
 * Returns the cached model file for `key`, building, serializing and writing it (atomically, with the key
 * beside it as `<hash>.json`) on a miss.
 */
export async function cachedModel(
  key: unknown,
  build: () => Graph | Promise<Graph>,
  opts: { root?: string } = {},
): Promise<{ path: string; hit: boolean }> {
  const path = graphCachePath(key, opts);
  try {
    const st = await Deno.stat(path);
    if (st.isFile && st.size > 0) return { path, hit: true };
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      throw new ActpatError("read graph cache", `${path}: ${(err as Error).message}`, { cause: err });
    }
  }
  const graph = await build();
  await writeFileAtomic(path.replace(/\.onnx$/, ".json"), canonicalJson(key, "key") + "\n");
  await writeFileAtomic(path, serializeGraph(graph));
  return { path, hit: false };
}
