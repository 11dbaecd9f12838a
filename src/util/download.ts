import { createHash, type Hash } from "node:crypto";
import { basename, dirname } from "node:path";
import { ActpatError } from "./errors.ts";
import { writeFileAtomic } from "./atomic_write.ts";
import { progress } from "./progress.ts";

/** Options of {@link downloadToCache}. */
export interface DownloadOptions {
  /** Expected sha256 (hex); a mismatch removes the download and throws. */
  sha256?: string;
  /** No progress output. */
  quiet?: boolean;
  /** Extra request headers (e.g. `Authorization` for gated hub repositories). */
  headers?: Record<string, string>;
  /** How often a dropped connection is resumed within this call (default 3). */
  retries?: number;
}

/** A file downloaded (or found complete) in the cache. */
export interface DownloadResult {
  path: string;
  sha256: string;
  bytes: number;
}

/** Suffix of the in-progress download; it survives a crash so the next run resumes it with a Range request. */
const PARTIAL = ".partial";
/** Sidecar holding the sha256 of the completed file, in `sha256sum` format. */
const SIDECAR = ".sha256";
const CHUNK = 8 << 20;

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
 * Downloads `url` to `dest`: streams into `dest.partial`, resumes an interrupted transfer with an HTTP Range
 * request (within this call up to `retries` times, and across runs since the partial file stays), checks
 * `sha256` when given, records the digest in `dest.sha256` and renames into place only when complete. A
 * complete `dest` is returned without a request.
 * @example await downloadToCache("https://huggingface.co/o/r/resolve/main/config.json", "/tmp/config.json", {})
 */
export async function downloadToCache(
  url: string,
  dest: string,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  const expected = options.sha256?.toLowerCase();
  const existing = await completedDownload(dest);
  if (existing) {
    if (!expected || existing.sha256 === expected) return existing;
    // A cached file that no longer matches what the caller expects: fetch it again.
    await Deno.remove(dest);
    await Deno.remove(dest + SIDECAR).catch(() => {});
  }
  await Deno.mkdir(dirname(dest), { recursive: true });
  const partial = dest + PARTIAL;
  const retries = options.retries ?? 3;
  let attempt = 0;
  for (;;) {
    const outcome = await transfer(url, partial, options);
    if (outcome.kind === "complete") {
      const sha256 = outcome.sha256;
      if (expected && sha256 !== expected) {
        await Deno.remove(partial).catch(() => {});
        throw new ActpatError(`download ${url}`, `sha256 mismatch (expected ${expected}, got ${sha256})`);
      }
      await Deno.rename(partial, dest);
      await writeFileAtomic(dest + SIDECAR, `${sha256}  ${basename(dest)}\n`);
      return { path: dest, sha256, bytes: outcome.bytes };
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

/** A complete file at `dest`, with its sidecar digest (computed and written if the sidecar is missing). */
async function completedDownload(dest: string): Promise<DownloadResult | null> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dest);
  } catch {
    return null;
  }
  if (!info.isFile) throw new ActpatError(`download to ${dest}`, "the destination exists and is not a file");
  let sha256: string | undefined;
  try {
    sha256 = (await Deno.readTextFile(dest + SIDECAR)).trim().split(/\s+/)[0];
  } catch {
    // No sidecar: the file was placed by hand or a crash came between rename and sidecar.
  }
  if (!sha256 || !/^[0-9a-f]{64}$/.test(sha256)) {
    sha256 = await sha256File(dest);
    await writeFileAtomic(dest + SIDECAR, `${sha256}  ${basename(dest)}\n`);
  }
  return { path: dest, sha256, bytes: info.size };
}

type Outcome =
  | { kind: "complete"; sha256: string; bytes: number }
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
  // Identity encoding keeps byte offsets meaningful for Range requests.
  const headers: Record<string, string> = { "accept-encoding": "identity", ...options.headers };
  if (offset > 0) headers["range"] = `bytes=${offset}-`;
  let res: Response;
  try {
    res = await fetch(url, { headers });
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
  return { kind: "complete", sha256: hash.digest("hex"), bytes };
}

async function writeAll(file: Deno.FsFile, data: Uint8Array): Promise<void> {
  let done = 0;
  while (done < data.length) done += await file.write(data.subarray(done));
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
