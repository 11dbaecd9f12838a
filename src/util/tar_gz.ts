/**
 * Extracts chosen files from a `.tar.gz` (an npm package tarball) by streaming it once: gunzip, then the
 * 512-byte ustar headers (with pax `path` records), writing each wanted entry to a temp file renamed into place
 * only when complete. Nothing else of the archive is written or held in memory.
 */
import { ActpatError } from "./errors.ts";

const BLOCK = 512;

/** Reads `length` bytes at `offset` of a header as a NUL-terminated string. */
function field(header: Uint8Array, offset: number, length: number): string {
  const bytes = header.subarray(offset, offset + length);
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/** The `path` of a pax extended header body, if it has one. */
function paxPath(body: Uint8Array): string | undefined {
  for (const line of new TextDecoder().decode(body).split("\n")) {
    const m = /^\d+ path=(.*)$/.exec(line);
    if (m) return m[1];
  }
  return undefined;
}

/**
 * Writes every regular-file entry of `archive` named in `wanted` (archive path → destination path); throws,
 * naming them, when some are missing.
 */
export async function extractFromTarGz(archive: string, wanted: ReadonlyMap<string, string>): Promise<void> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(archive);
  } catch (err) {
    throw new ActpatError("extract archive", `${archive}: ${(err as Error).message}`, { cause: err });
  }
  const reader = file.readable.pipeThrough(new DecompressionStream("gzip")).getReader();
  let buf = new Uint8Array(0);
  let done = false;
  /** Ensures `n` bytes are buffered (fewer only at the end of the stream). */
  const fill = async (n: number) => {
    while (buf.length < n && !done) {
      const r = await reader.read();
      if (r.done) done = true;
      else {
        const next = new Uint8Array(buf.length + r.value.length);
        next.set(buf);
        next.set(r.value, buf.length);
        buf = next;
      }
    }
  };
  const found = new Set<string>();
  let pendingPath: string | undefined;
  try {
    while (true) {
      await fill(BLOCK);
      if (buf.length < BLOCK || buf.subarray(0, BLOCK).every((b) => b === 0)) break;
      const header = buf.slice(0, BLOCK);
      buf = buf.subarray(BLOCK);
      const size = parseInt(field(header, 124, 12).trim() || "0", 8);
      const type = String.fromCharCode(header[156] || 48);
      const prefix = field(header, 345, 155);
      const name = pendingPath ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
      pendingPath = undefined;
      const padded = Math.ceil(size / BLOCK) * BLOCK;
      const dest = type === "0" ? wanted.get(name) : undefined;
      if (type === "x") {
        await fill(padded);
        pendingPath = paxPath(buf.subarray(0, size));
        buf = buf.subarray(padded);
        continue;
      }
      let out: Deno.FsFile | undefined;
      const tmp = dest ? `${dest}.${Deno.pid}.partial` : "";
      if (dest) out = await Deno.open(tmp, { write: true, create: true, truncate: true, mode: 0o755 });
      let left = padded, data = size;
      while (left > 0) {
        await fill(1);
        if (buf.length === 0) throw new ActpatError("extract archive", `${archive} ends inside ${name}`);
        const take = Math.min(left, buf.length);
        if (out && data > 0) {
          const piece = buf.subarray(0, Math.min(take, data));
          for (let o = 0; o < piece.length;) o += await out.write(piece.subarray(o));
        }
        data -= Math.min(take, data);
        left -= take;
        buf = buf.subarray(take);
      }
      if (out && dest) {
        out.close();
        await Deno.rename(tmp, dest);
        found.add(name);
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const missing = [...wanted.keys()].filter((k) => !found.has(k));
  if (missing.length) {
    throw new ActpatError("extract archive", `${archive} has no ${missing.join(", ")}`);
  }
}
