import { createHash } from "node:crypto";
import { join } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../util/atomic_write.ts";
import { sha256File } from "../util/download.ts";
import { cacheDir } from "../util/locations.ts";
import { progress } from "../util/progress.ts";

const entrySchema = z.object({ path: z.string(), size: z.number(), mtimeMs: z.number(), sha256: z.string() });

/** Files above this size get a progress line while hashed. */
const SHOW_PROGRESS = 256 << 20;

/**
 * The sha256 of a file, remembered in `<cache>/sha256/` keyed by (real path, size, mtime), so a 13 GB
 * checkpoint is hashed once and later runs only stat it.
 */
export async function sha256Cached(
  path: string,
  options: { cacheDir?: string; quiet?: boolean } = {},
): Promise<{ sha256: string; bytes: number }> {
  const real = await Deno.realPath(path);
  const info = await Deno.stat(real);
  const mtimeMs = info.mtime?.getTime() ?? 0;
  const key = createHash("sha256").update(real).digest("hex");
  const entryPath = join(options.cacheDir ?? cacheDir(), "sha256", `${key}.json`);
  try {
    const entry = entrySchema.parse(JSON.parse(await Deno.readTextFile(entryPath)));
    if (entry.path === real && entry.size === info.size && entry.mtimeMs === mtimeMs) {
      return { sha256: entry.sha256, bytes: info.size };
    }
  } catch {
    // No entry, or an unreadable one: hash afresh.
  }
  const bar = info.size >= SHOW_PROGRESS && !options.quiet
    ? progress(`sha256 ${path}`, info.size, { unit: "B" })
    : null;
  const sha256 = await sha256File(real, { onBytes: (n) => bar?.tick(n) });
  bar?.done();
  const entry = { path: real, size: info.size, mtimeMs, sha256 };
  // A read-only cache only costs the next run another hash.
  await writeFileAtomic(entryPath, JSON.stringify(entry) + "\n").catch(() => {});
  return { sha256, bytes: info.size };
}
