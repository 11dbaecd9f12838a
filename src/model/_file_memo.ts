import { createHash } from "node:crypto";
import { join } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../util/atomic_write.ts";
import { cacheDir } from "../util/locations.ts";

const entrySchema = z.object({ path: z.string(), size: z.number(), mtimeMs: z.number(), value: z.unknown() });

/** A file as it is now: its real path, size and modification time, the key of what is remembered about it. */
export interface FileIdentity {
  real: string;
  size: number;
  mtimeMs: number;
}

/** Which memo (`sha256`, `finite`) and the cache root (default {@link cacheDir}). */
export interface MemoOptions {
  kind: string;
  root?: string;
}

/** The identity of `path` now. */
export async function fileIdentity(path: string): Promise<FileIdentity> {
  const real = await Deno.realPath(path);
  const info = await Deno.stat(real);
  return { real, size: info.size, mtimeMs: info.mtime?.getTime() ?? 0 };
}

function entryPath(kind: string, id: FileIdentity, root: string | undefined): string {
  const key = createHash("sha256").update(id.real).digest("hex");
  return join(root ?? cacheDir(), kind, `${key}.json`);
}

/**
 * What was remembered under `kind` (`sha256`, `finite`) about the file, while it has the same real path,
 * size and modification time; undefined otherwise. Kept in `<cache>/<kind>/`, so a 13 GB checkpoint is
 * read once and later runs only stat it.
 */
export async function recall(id: FileIdentity, { kind, root }: MemoOptions): Promise<unknown> {
  try {
    const e = entrySchema.parse(JSON.parse(await Deno.readTextFile(entryPath(kind, id, root))));
    if (e.path === id.real && e.size === id.size && e.mtimeMs === id.mtimeMs) return e.value;
  } catch {
    // No entry, or an unreadable one.
  }
  return undefined;
}

/** Remembers `value` about the file; a read-only cache only costs the next run the work again. */
export async function remember(id: FileIdentity, value: unknown, { kind, root }: MemoOptions): Promise<void> {
  const entry = { path: id.real, size: id.size, mtimeMs: id.mtimeMs, value };
  await writeFileAtomic(entryPath(kind, id, root), JSON.stringify(entry) + "\n").catch(() => {});
}
