import { join } from "node:path";
import { ActpatError } from "../util/errors.ts";
import { describeHolder, type FileLock, tryLock } from "../util/file_lock.ts";
import { contentHash } from "./content_hash.ts";
import { type Manifest, readManifest } from "./manifest.ts";

/** The lock a run holds on its folder while it runs (an advisory lock: a killed run's lock is free). */
export const LOCK_FILE = ".actpat.lock";
const MANIFEST = "manifest.json";

/** What is in a folder a run is asked to write into, once it holds the folder's lock. */
export type FolderState =
  | { kind: "empty" }
  | { kind: "resume"; previous: Manifest }
  | { kind: "replace"; previous: Manifest | null };

/**
 * Takes the folder's lock, or refuses with `Cannot use <dir> as the run directory: another run is writing
 * there (pid …)`.
 */
export async function lockRunFolder(dir: string, what: string): Promise<FileLock> {
  const action = `use ${dir} as the run directory`;
  let info: Deno.FileInfo | null = null;
  try {
    info = await Deno.stat(dir);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  if (info && !info.isDirectory) throw new ActpatError(action, "it is a file, not a folder");
  await Deno.mkdir(dir, { recursive: true });
  const got = await tryLock(join(dir, LOCK_FILE), what);
  if ("holder" in got) {
    throw new ActpatError(
      action,
      `another run is writing there (${
        describeHolder(got.holder)
      }); wait for it to end, or choose another --out`,
    );
  }
  return got;
}

/**
 * Decides what a run of `command` with `config` may do with the folder `dir` (whose lock it holds): start in
 * an empty one; resume a run of the same command and configuration; refuse anything else (files that are
 * not an actpat run, a damaged manifest, another command, another configuration) unless `force`, which
 * replaces it.
 */
export async function inspectRunFolder(
  dir: string,
  { command, config, force }: { command: string; config: Record<string, unknown>; force: boolean },
): Promise<FolderState> {
  const action = `use ${dir} as the run directory`;
  const fix = "choose another --out, or pass --force to";
  let previous: Manifest | null = null;
  const hasManifest = await Deno.stat(join(dir, MANIFEST)).then(() => true, (err) => {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  });
  if (hasManifest) {
    try {
      previous = await readManifest(join(dir, MANIFEST));
    } catch (err) {
      if (force) return { kind: "replace", previous: null };
      throw new ActpatError(
        action,
        `its manifest.json is not an actpat manifest (${err instanceof Error ? err.message : err}); ${fix} ` +
          "write there anyway",
      );
    }
  }
  if (!previous) {
    const names: string[] = [];
    for await (const e of Deno.readDir(dir)) if (e.name !== LOCK_FILE) names.push(e.name);
    if (names.length === 0) return { kind: "empty" };
    if (force) return { kind: "replace", previous: null };
    names.sort();
    const shown = names.slice(0, 3).join(", ") + (names.length > 3 ? `, … (${names.length} entries)` : "");
    throw new ActpatError(
      action,
      `it holds files (${shown}) but no manifest.json: it is not an actpat run, and its files could be ` +
        `overwritten; ${fix} write there anyway`,
    );
  }
  if (previous.command !== command) {
    if (force) return { kind: "replace", previous };
    throw new ActpatError(
      action,
      `it holds a "${previous.command}" run, not "${command}"; ${fix} replace it`,
    );
  }
  const changed = configChanges(previous, config);
  if (changed.length > 0) {
    if (force) return { kind: "replace", previous };
    throw new ActpatError(
      action,
      `it holds a "${command}" run of another configuration (${changed.join("; ")}); resume it with the ` +
        `same flags, ${fix} replace it`,
    );
  }
  return { kind: "resume", previous };
}

/**
 * `key: old → new` for each setting that differs; empty when the run may resume. Only the keys of the new
 * configuration are compared: a run adds its own findings to its manifest's config as it goes.
 */
function configChanges(previous: Manifest, fresh: Record<string, unknown>): string[] {
  // Compared as stored: through JSON, as the previous run's manifest went.
  const config = JSON.parse(JSON.stringify(fresh)) as Record<string, unknown>;
  if (previous.configHash !== undefined && previous.configHash === contentHash(config)) return [];
  const changes = Object.keys(config)
    .filter((k) => contentHash(previous.config[k]) !== contentHash(config[k]))
    .map((k) => `${k}: ${show(previous.config[k])} → ${show(config[k])}`);
  if (changes.length === 0 && previous.configHash !== undefined) return ["its settings differ"];
  return changes.slice(0, 4).concat(changes.length > 4 ? [`${changes.length - 4} more`] : []);
}

function show(v: unknown): string {
  const text = v === undefined ? "unset" : JSON.stringify(v);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/**
 * Removes the `.partial` files an interrupted run left in `dir` and its subfolders: whoever wrote them is
 * gone, since the caller holds the folder's lock. A subfolder locked by another live run is left alone.
 */
export async function removeStalePartials(dir: string): Promise<string[]> {
  const removed: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name);
    if (e.isFile && e.name.endsWith(".partial")) {
      await Deno.remove(path).catch(() => {});
      removed.push(path);
    } else if (e.isDirectory) {
      const lockPath = join(path, LOCK_FILE);
      if (await Deno.stat(lockPath).then(() => true, () => false)) {
        const got = await tryLock(lockPath, "check for stale files");
        if ("holder" in got) continue;
        await got.release();
      }
      removed.push(...await removeStalePartials(path));
    }
  }
  return removed;
}
