import { hostname } from "node:os";

/** Who holds a lock: written into the lock file by its holder, read by those who find it taken. */
export interface LockHolder {
  pid: number;
  host: string;
  since: string;
  /** What the holder is doing, e.g. `deno task density --out x` or `download <url>`. */
  what: string;
}

/** A held lock; `release()` (or disposal) removes the lock file and lets the next process in. */
export interface FileLock extends AsyncDisposable {
  path: string;
  release(): Promise<void>;
}

/**
 * Takes the exclusive lock at `path` (an advisory `flock` on the file, created if needed) without waiting:
 * returns the lock, or the holder's record when another process has it. The operating system drops the
 * lock when its process dies, so a killed holder never leaves a stale lock behind; a lock file left on disk
 * by one is simply taken over.
 */
export async function tryLock(path: string, what: string): Promise<FileLock | { holder: LockHolder | null }> {
  for (;;) {
    const file = await Deno.open(path, { read: true, write: true, create: true });
    let locked = false;
    try {
      locked = await file.tryLock(true);
      if (!locked) {
        file.close();
        return { holder: await readHolder(path) };
      }
      // The previous holder removes the file before unlocking; a lock taken on a removed file is no lock.
      if (!(await sameFile(file, path))) {
        file.close();
        continue;
      }
      const record: LockHolder = { pid: Deno.pid, host: hostname(), since: new Date().toISOString(), what };
      await file.truncate(0);
      await writeAll(file, new TextEncoder().encode(JSON.stringify(record) + "\n"));
      return held(path, file);
    } catch (err) {
      if (locked) file.close();
      throw err;
    }
  }
}

/**
 * Takes the exclusive lock at `path`, waiting while another process holds it; `onWait` is told (once) who
 * holds it, so the caller can say what it is waiting for.
 */
export async function lock(
  path: string,
  what: string,
  options: { onWait?: (holder: LockHolder | null) => void; pollMs?: number } = {},
): Promise<FileLock> {
  let told = false;
  for (;;) {
    const got = await tryLock(path, what);
    if (!("holder" in got)) return got;
    if (!told) options.onWait?.(got.holder);
    told = true;
    await new Promise((r) => setTimeout(r, options.pollMs ?? 100));
  }
}

function held(path: string, file: Deno.FsFile): FileLock {
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    try {
      await Deno.remove(path).catch(() => {});
    } finally {
      file.close();
    }
  };
  return { path, release, [Symbol.asyncDispose]: release };
}

async function sameFile(file: Deno.FsFile, path: string): Promise<boolean> {
  const [open, named] = await Promise.all([file.stat(), Deno.stat(path).catch(() => null)]);
  return named !== null && open.ino === named.ino && open.dev === named.dev;
}

async function readHolder(path: string): Promise<LockHolder | null> {
  try {
    const r = JSON.parse(await Deno.readTextFile(path));
    return typeof r?.pid === "number" ? r as LockHolder : null;
  } catch {
    return null;
  }
}

async function writeAll(file: Deno.FsFile, data: Uint8Array): Promise<void> {
  let done = 0;
  while (done < data.length) done += await file.write(data.subarray(done));
}

/** `pid 123 on host, since <time>: <what>`, for messages about a held lock. */
export function describeHolder(holder: LockHolder | null): string {
  return holder
    ? `pid ${holder.pid} on ${holder.host} since ${holder.since}: ${holder.what}`
    : "another process";
}
