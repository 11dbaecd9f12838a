import { createHash } from "node:crypto";

/**
 * What a server states about the file it sends, so a download can be checked. The Hugging Face hub states
 * the sha256 of LFS files in `X-Linked-Etag` (on its redirect to the CDN) and their size in `X-Linked-Size`;
 * for files kept in git, its `ETag` is the git blob id (sha1 of `blob <size>\0<content>`). Both come with
 * `X-Repo-Commit`, which marks a response of the hub: other servers' ETags are opaque and never compared.
 */
export interface StatedFile {
  sha256?: string;
  gitSha1?: string;
  size?: number;
  /** Which header stated the digest, for messages: `X-Linked-Etag` or `ETag`. */
  source?: string;
}

const SHA256 = /^[0-9a-f]{64}$/;
const SHA1 = /^[0-9a-f]{40}$/;

/** An ETag without its weak marker and quotes, lower-cased. */
function etagValue(text: string | null): string | undefined {
  return text?.trim().replace(/^W\//, "").replace(/^"|"$/g, "").toLowerCase() || undefined;
}

/** Adds what one response of a redirect chain states to `into` (the first statement of each fact wins). */
export function collectStated(into: StatedFile, headers: Headers): void {
  const linked = etagValue(headers.get("x-linked-etag"));
  if (into.sha256 === undefined && into.gitSha1 === undefined && linked && SHA256.test(linked)) {
    into.sha256 = linked;
    into.source = "X-Linked-Etag";
  }
  const linkedSize = Number(headers.get("x-linked-size") ?? NaN);
  if (into.size === undefined && Number.isSafeInteger(linkedSize) && linkedSize >= 0) into.size = linkedSize;
  if (into.sha256 === undefined && into.gitSha1 === undefined && headers.has("x-repo-commit")) {
    const etag = etagValue(headers.get("etag"));
    if (etag && SHA256.test(etag)) into.sha256 = etag;
    else if (etag && SHA1.test(etag)) into.gitSha1 = etag;
    if (into.sha256 || into.gitSha1) into.source = "ETag";
  }
}

/** The size of the whole file a final (200 or 206) response carries, if it says. */
export function responseSize(res: Response): number | undefined {
  const range = res.headers.get("content-range")?.match(/\/(\d+)$/);
  if (res.status === 206) return range ? Number(range[1]) : undefined;
  const length = Number(res.headers.get("content-length") ?? NaN);
  return Number.isSafeInteger(length) ? length : undefined;
}

/** The git blob id of a file (what the hub's ETag is for files not in LFS). */
export async function gitBlobSha1(path: string): Promise<string> {
  const { size } = await Deno.stat(path);
  const hash = createHash("sha1").update(`blob ${size}\0`);
  using file = await Deno.open(path, { read: true });
  const buf = new Uint8Array(8 << 20);
  for (;;) {
    const n = await file.read(buf);
    if (n === null) break;
    hash.update(buf.subarray(0, n));
  }
  return hash.digest("hex");
}

/** How a cached file's digest was checked: against what the server or the caller stated, or not at all. */
export type VerifiedBy = "expected" | "sha256" | "git-sha1" | "size" | "unverifiable";

/**
 * Compares a complete file with what was stated: null when it agrees (and `by` says how strongly), else the
 * first disagreement as a sentence.
 */
export async function checkStated(
  path: string,
  got: { sha256: string; bytes: number },
  { stated, expected }: { stated: StatedFile; expected: string | undefined },
): Promise<{ by: VerifiedBy } | { problem: string }> {
  if (expected && got.sha256 !== expected) {
    return { problem: `sha256 mismatch (expected ${expected}, got ${got.sha256})` };
  }
  if (stated.size !== undefined && got.bytes !== stated.size) {
    return { problem: `size mismatch (the server states ${stated.size} bytes, got ${got.bytes})` };
  }
  if (stated.sha256 && got.sha256 !== stated.sha256) {
    return {
      problem: `sha256 mismatch (the hub states ${stated.sha256} in ${stated.source}, got ${got.sha256})`,
    };
  }
  if (stated.gitSha1) {
    const sha1 = await gitBlobSha1(path);
    if (sha1 !== stated.gitSha1) {
      return {
        problem: `git blob id mismatch (the hub states ${stated.gitSha1} in ${stated.source}, got ${sha1})`,
      };
    }
  }
  const by: VerifiedBy = stated.sha256
    ? "sha256"
    : stated.gitSha1
    ? "git-sha1"
    : expected
    ? "expected"
    : stated.size !== undefined
    ? "size"
    : "unverifiable";
  return { by };
}
