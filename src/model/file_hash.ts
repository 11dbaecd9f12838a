import { sha256File } from "../util/download.ts";
import { progress } from "../util/progress.ts";
import { fileIdentity, recall, remember } from "./_file_memo.ts";

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
  const id = await fileIdentity(path);
  const known = await recall(id, { kind: "sha256", root: options.cacheDir });
  if (typeof known === "string" && /^[0-9a-f]{64}$/.test(known)) return { sha256: known, bytes: id.size };
  const bar = id.size >= SHOW_PROGRESS && !options.quiet
    ? progress(`sha256 ${path}`, id.size, { unit: "B" })
    : null;
  const sha256 = await sha256File(id.real, { onBytes: (n) => bar?.tick(n) });
  bar?.done();
  await remember(id, sha256, { kind: "sha256", root: options.cacheDir });
  return { sha256, bytes: id.size };
}
