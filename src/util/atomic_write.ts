import { dirname } from "node:path";

/** Suffix of in-progress files; a crash leaves only these behind, never a half-written target. */
const TEMP_SUFFIX = ".partial";

/** Writes `data` to `path` through a temporary sibling file and a rename, so readers never see half a file. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${Deno.pid}${TEMP_SUFFIX}`;
  try {
    if (typeof data === "string") await Deno.writeTextFile(temp, data);
    else await Deno.writeFile(temp, data);
    await Deno.rename(temp, path);
  } catch (err) {
    await Deno.remove(temp).catch(() => {});
    throw err;
  }
}

/**
 * Opens a temporary sibling of `path` for streamed writing; `commit()` renames it into place, `abort()`
 * removes it. For outputs too large to hold in memory (checkpoints, downloads).
 */
export async function openAtomic(path: string): Promise<AtomicFile> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${Deno.pid}${TEMP_SUFFIX}`;
  const file = await Deno.open(temp, { write: true, create: true, truncate: true });
  let closed = false;
  const close = () => {
    if (!closed) file.close();
    closed = true;
  };
  return {
    file,
    async commit() {
      close();
      await Deno.rename(temp, path);
    },
    async abort() {
      close();
      await Deno.remove(temp).catch(() => {});
    },
  };
}

/** A file being written under a temporary name. */
export interface AtomicFile {
  file: Deno.FsFile;
  commit(): Promise<void>;
  abort(): Promise<void>;
}
