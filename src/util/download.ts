import { createHash, type Hash } from "node:crypto";
import { basename, dirname, join } from "node:path";
import { z } from "zod";
import { ActpatError } from "./errors.ts";
import { writeFileAtomic } from "./atomic_write.ts";
import { describeHolder, lock } from "./file_lock.ts";
import { progress } from "./progress.ts";
import {
  checkStated,
  collectStated,
  responseSize,
  type StatedFile,
  type VerifiedBy,
} from "./_stated_digest.ts";

/** Options of {@link downloadToCache}. */
export interface DownloadOptions {
  /** Expected sha256 (hex); a mismatch removes the download and throws. */
  sha256?: string;
  /** No progress output. */
  quiet?: boolean;
  /** Extra request headers (e.g. `Authorization` for gated hub repositories); not sent to other hosts. */
  headers?: Record<string, string>;
  /** How often a dropped connection is resumed within this call (default 3). */
  retries?: number;
}

/** A file downloaded (or found complete) in the cache. */
export interface DownloadResult {
  path: string;
  sha256: string;
  bytes: number;
  /** How the digest was checked (see {@link VerifiedBy}); null when the server could not be asked. */
  verifiedBy: VerifiedBy | null;
}

export type { VerifiedBy };

/** Sidecar of a complete download: its digest and how it was verified. */
const Sidecar = z.object({
  url: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
  verifiedBy: z.enum(["expected", "sha256", "git-sha1", "size", "unverifiable"]),
  stated: z.string().nullable(),
  at: z.string(),
});
type Sidecar = z.infer<typeof Sidecar>;

const SIDECAR = ".download.json";
/** The sidecar of earlier versions (`sha256sum` format, never verified against the hub): re-verified. */
const LEGACY_SIDECAR = ".sha256";
const LOCK = ".lock";
const CHUNK = 8 << 20;
const MAX_REDIRECTS = 10;

/** Streams a file through sha256 (8 MiB reads) and returns the hex digest; `onBytes` sees each read's size. */
export async function sha256File(
  path: string,
  options: { onBytes?: (n: number) => void } = {},
): Promise<string> {
  const hash = createHash("sha256");
  await hashInto(path, hash, options.onBytes);
  return hash.digest("hex");
}

async function hashInto(path: string, hash: Hash, onBytes?: (n: number) => void): Promise<number> {
  using file = await Deno.open(path, { read: true });
  const buf = new Uint8Array(CHUNK);
  let total = 0;
  for (;;) {
    const n = await file.read(buf);
    if (n === null) break;
    hash.update(buf.subarray(0, n));
    total += n;
    onBytes?.(n);
  }
  return total;
}

/**
 * Downloads `url` to `dest`, verified. One process at a time downloads a given `dest` (a lock beside it,
 * `dest.lock`); others wait and then reuse its result. The transfer streams into this process's own
 * `dest.<pid>.partial`, adopting the partial file of an earlier, killed run and resuming it with an HTTP
 * Range request (within this call up to `retries` times). The complete file is checked against the
 * caller's `sha256` and what the server states (hub: sha256 in `X-Linked-Etag`, git blob id in `ETag`,
 * size), renamed into place only when it agrees, and its digest recorded in `dest.download.json`. A cached
 * file without such a record (placed by hand, or by an older version) is verified again before reuse.
 * @example await downloadToCache("https://huggingface.co/o/r/resolve/main/config.json", "/tmp/config.json", {})
 */
export async function downloadToCache(
  url: string,
  dest: string,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  const expected = options.sha256?.toLowerCase();
  await Deno.mkdir(dirname(dest), { recursive: true });
  const held = await lock(dest + LOCK, `download ${url}`, {
    onWait: (holder) => {
      if (!options.quiet) {
        console.error(`download ${basename(dest)}: waiting for ${describeHolder(holder)}`);
      }
    },
  });
  try {
    const cached = await reuse(url, dest, expected, options);
    if (cached) return cached;
    return await fetchVerified(url, dest, expected, options);
  } finally {
    await held.release();
  }
}

/** The complete cached `dest`, verified now if its record lacks a verified digest; null to download. */
async function reuse(
  url: string,
  dest: string,
  expected: string | undefined,
  options: DownloadOptions,
): Promise<DownloadResult | null> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dest);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
  if (!info.isFile) throw new ActpatError(`download to ${dest}`, "the destination exists and is not a file");
  const record = await readSidecar(dest);
  if (record && record.bytes === info.size) {
    if (!expected || record.sha256 === expected) {
      return { path: dest, sha256: record.sha256, bytes: record.bytes, verifiedBy: record.verifiedBy };
    }
    await discard(dest);
    return null;
  }
  const got = { sha256: await sha256File(dest), bytes: info.size };
  let stated: StatedFile = {};
  if (!expected) {
    const head = await statedByServer(url, options).catch((err) => ({ error: errorText(err) }));
    if ("error" in head) {
      if (!options.quiet) {
        console.error(`warning: ${dest} is used unverified: cannot ask ${url} (${head.error})`);
      }
      return { path: dest, ...got, verifiedBy: null };
    }
    stated = head.stated;
  }
  const verdict = await checkStated(dest, got, { stated, expected });
  if ("problem" in verdict) {
    if (!options.quiet) {
      console.error(`${dest} is damaged or outdated (${verdict.problem}): downloading again`);
    }
    await discard(dest);
    return null;
  }
  await writeSidecar(dest, { url, ...got, verifiedBy: verdict.by, stated: stated.source ?? null });
  return { path: dest, ...got, verifiedBy: verdict.by };
}

/** Downloads into this process's partial file (resuming an adopted one), verifies, renames into place. */
async function fetchVerified(
  url: string,
  dest: string,
  expected: string | undefined,
  options: DownloadOptions,
): Promise<DownloadResult> {
  const partial = await adoptPartial(dest);
  const retries = options.retries ?? 3;
  let attempt = 0;
  for (;;) {
    const outcome = await transfer(url, partial, options);
    if (outcome.kind === "complete") {
      const got = { sha256: outcome.sha256, bytes: outcome.bytes };
      const verdict = await checkStated(partial, got, { stated: outcome.stated, expected });
      if ("problem" in verdict) {
        await Deno.remove(partial).catch(() => {});
        throw new ActpatError(
          `download ${url}`,
          `${verdict.problem}; the file was not kept (run again; if this persists, the server or a proxy on ` +
            "the way serves a damaged file)",
        );
      }
      await Deno.rename(partial, dest);
      await writeSidecar(dest, {
        url,
        ...got,
        verifiedBy: verdict.by,
        stated: outcome.stated.source ?? null,
      });
      return { path: dest, ...got, verifiedBy: verdict.by };
    }
    if (outcome.kind === "restart") continue;
    attempt++;
    if (attempt > retries) {
      throw new ActpatError(
        `download ${url}`,
        `connection lost after ${outcome.bytes} bytes (${outcome.reason}); ${partial} is kept, run again to resume`,
      );
    }
    await new Promise((r) => setTimeout(r, 200 * attempt));
  }
}

/**
 * This process's partial file for `dest`. Holding the lock, every other partial file of `dest` belongs to
 * a process that is gone: the largest is taken over (renamed) to be resumed, the rest removed.
 */
async function adoptPartial(dest: string): Promise<string> {
  const own = `${dest}.${Deno.pid}.partial`;
  const name = basename(dest);
  const pattern = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.(\\d+\\.)?partial$`);
  const found: { path: string; size: number }[] = [];
  for await (const e of Deno.readDir(dirname(dest))) {
    if (!e.isFile || !pattern.test(e.name)) continue;
    const path = join(dirname(dest), e.name);
    found.push({ path, size: (await Deno.stat(path)).size });
  }
  found.sort((a, b) => b.size - a.size);
  for (const [i, f] of found.entries()) {
    if (i === 0) {
      if (f.path !== own) await Deno.rename(f.path, own);
    } else if (f.path !== own) await Deno.remove(f.path).catch(() => {});
  }
  return own;
}

async function readSidecar(dest: string): Promise<Sidecar | null> {
  try {
    return Sidecar.parse(JSON.parse(await Deno.readTextFile(dest + SIDECAR)));
  } catch {
    return null;
  }
}

async function writeSidecar(dest: string, record: Omit<Sidecar, "at">): Promise<void> {
  const full: Sidecar = { ...record, at: new Date().toISOString() };
  await writeFileAtomic(dest + SIDECAR, JSON.stringify(full, null, 2) + "\n");
  await Deno.remove(dest + LEGACY_SIDECAR).catch(() => {});
}

async function discard(dest: string): Promise<void> {
  await Deno.remove(dest);
  for (const s of [SIDECAR, LEGACY_SIDECAR]) await Deno.remove(dest + s).catch(() => {});
}

/**
 * Requests `url` following redirects by hand, so the headers of every hop are seen: the hub states an LFS
 * file's digest on its redirect to the CDN, whose own headers do not. The caller's headers (a token) go
 * to the first host only.
 */
async function follow(
  url: string,
  init: { method: "GET" | "HEAD"; headers: Record<string, string> },
): Promise<{ res: Response; stated: StatedFile }> {
  const stated: StatedFile = {};
  const origin = new URL(url).origin;
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const headers = new URL(current).origin === origin
      ? init.headers
      : Object.fromEntries(Object.entries(init.headers).filter(([k]) => k.toLowerCase() !== "authorization"));
    const res = await fetch(current, { method: init.method, headers, redirect: "manual" });
    collectStated(stated, res.headers);
    const location = res.headers.get("location");
    const known = (stated.sha256 || stated.gitSha1) && stated.size !== undefined;
    // Asking only what the file is: the hub's redirect said it all, the CDN need not be asked.
    if (init.method === "HEAD" && known) return { res, stated };
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel();
      current = new URL(location, current).href;
      continue;
    }
    if (stated.size === undefined && res.ok) stated.size = responseSize(res);
    return { res, stated };
  }
  throw new Error(`more than ${MAX_REDIRECTS} redirects`);
}

/** What the server states about `url` (a HEAD request), to verify a cached copy. */
async function statedByServer(url: string, options: DownloadOptions): Promise<{ stated: StatedFile }> {
  const { res, stated } = await follow(url, { method: "HEAD", headers: requestHeaders(options) });
  await res.body?.cancel();
  if (res.status >= 400) throw new Error(`HTTP ${res.status}`);
  return { stated };
}

function requestHeaders(options: DownloadOptions): Record<string, string> {
  // Identity encoding keeps byte offsets meaningful for Range requests.
  return { "accept-encoding": "identity", ...options.headers };
}

type Outcome =
  | { kind: "complete"; sha256: string; bytes: number; stated: StatedFile }
  | { kind: "interrupted"; bytes: number; reason: string }
  | { kind: "restart" };

/** One request: appends to `partial` from its current size, or restarts it when the server ignores the range. */
async function transfer(url: string, partial: string, options: DownloadOptions): Promise<Outcome> {
  let offset = 0;
  try {
    offset = (await Deno.stat(partial)).size;
  } catch {
    // No partial file yet.
  }
  const headers = requestHeaders(options);
  if (offset > 0) headers["range"] = `bytes=${offset}-`;
  let res: Response;
  let stated: StatedFile;
  try {
    ({ res, stated } = await follow(url, { method: "GET", headers }));
  } catch (err) {
    return { kind: "interrupted", bytes: offset, reason: errorText(err) };
  }
  if (res.status === 416 && offset > 0) {
    // The partial file is not a prefix the server recognises (e.g. the remote file changed): start over.
    await res.body?.cancel();
    await Deno.remove(partial);
    return { kind: "restart" };
  }
  if (res.status === 404) {
    await res.body?.cancel();
    throw new ActpatError(`download ${url}`, "not found (HTTP 404)");
  }
  if (res.status >= 500) {
    await res.body?.cancel();
    return { kind: "interrupted", bytes: offset, reason: `HTTP ${res.status}` };
  }
  if (res.status !== 200 && res.status !== 206) {
    await res.body?.cancel();
    const hint = res.status === 401 || res.status === 403 ? " (gated repository? set HF_TOKEN)" : "";
    throw new ActpatError(`download ${url}`, `HTTP ${res.status} ${res.statusText}${hint}`);
  }
  const hash = createHash("sha256");
  let append = false;
  if (res.status === 206) {
    const start = Number(res.headers.get("content-range")?.match(/^bytes (\d+)-/)?.[1]);
    if (start !== offset) {
      await res.body?.cancel();
      await Deno.remove(partial);
      return { kind: "restart" };
    }
    await hashInto(partial, hash);
    append = true;
  }
  const length = Number(res.headers.get("content-length") ?? NaN);
  const total = Number.isFinite(length) ? (append ? offset : 0) + length : 0;
  let bytes = append ? offset : 0;
  const bar = progress(`download ${basename(new URL(url).pathname)}`, total, {
    unit: "B",
    quiet: options.quiet,
  });
  bar.tick(bytes);
  const file = await Deno.open(partial, { write: true, create: true, append, truncate: !append });
  try {
    for await (const chunk of res.body!) {
      await writeAll(file, chunk);
      hash.update(chunk);
      bytes += chunk.length;
      bar.tick(chunk.length);
    }
  } catch (err) {
    return { kind: "interrupted", bytes, reason: errorText(err) };
  } finally {
    file.close();
  }
  if (total > 0 && bytes !== total) {
    return { kind: "interrupted", bytes, reason: `body ended at ${bytes} of ${total} bytes` };
  }
  bar.done();
  return { kind: "complete", sha256: hash.digest("hex"), bytes, stated };
}

async function writeAll(file: Deno.FsFile, data: Uint8Array): Promise<void> {
  let done = 0;
  while (done < data.length) done += await file.write(data.subarray(done));
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
