import { isAbsolute, join, relative, resolve } from "node:path";
import { writeFileAtomic } from "../util/atomic_write.ts";
import { ActpatError } from "../util/errors.ts";
import type { FileLock } from "../util/file_lock.ts";
import { onInterrupt } from "../util/interrupt.ts";
import { inspectRunFolder, lockRunFolder, removeStalePartials } from "./_run_dir_guard.ts";
import { type CsvRow, type CsvSchema, writeCsv } from "./csv.ts";
import {
  type DatasetRecord,
  type Manifest,
  type ModelRecord,
  newManifest,
  type OutputRecord,
  shellLine,
  writeManifest,
} from "./manifest.ts";

/** Options of {@link createRunDir}. */
export interface RunDirOptions {
  command: string;
  argv?: string[];
  config?: Record<string, unknown>;
  seed?: number | null;
  executionProvider?: string | null;
  /** Parent of new run directories (default `results/runs`). */
  root?: string;
  /**
   * Use this directory instead of a new one. When it holds a run of the same command and configuration,
   * that run resumes: its finished stages whose inputs are unchanged are not recomputed. A folder that is
   * not an actpat run, or holds a run of another command or configuration, is refused unless `force`.
   */
  dir?: string;
  /**
   * Write into `dir` even when it is not an actpat run or holds another run: that run is replaced (its
   * stages are reused where their inputs match; its outputs this run does not write again are removed
   * when this run ends well). The tasks' `--force`. Default false.
   */
  force?: boolean;
  /** Clock, for tests. */
  now?: () => Date;
}

const MANIFEST = "manifest.json";
const STAGES = "stages";

/** Run directories this process holds, for the interrupt handler's "resume with" line. */
const active = new Set<RunDir>();

/**
 * One command's output directory: `manifest.json`, CSV and other files, and the records of finished stages.
 * It holds the folder's lock from creation to {@link RunDir.finish}; an interrupt (SIGINT, SIGTERM) marks its
 * manifest "interrupted" and prints how to resume.
 */
export class RunDir {
  readonly path: string;
  readonly manifest: Manifest;
  readonly now: () => Date;
  /** How a run that ends without error is marked: "submitted" when it handed its work to Slurm. */
  endStatus: "ok" | "submitted" = "ok";
  #lock: FileLock | null;
  #stale: string[];
  #saving: Promise<void> = Promise.resolve();
  #unhook: () => void = () => {};

  /**
   * Use {@link createRunDir}. `lock` is the folder's, held until {@link RunDir.finish}; `stale` lists the
   * outputs of the run this one replaces, removed when it ends well unless written again.
   */
  constructor(
    path: string,
    manifest: Manifest,
    options: { now: () => Date; lock?: FileLock; stale?: string[] },
  ) {
    this.path = path;
    this.manifest = manifest;
    this.now = options.now;
    this.#lock = options.lock ?? null;
    this.#stale = options.stale ?? [];
    if (this.#lock) {
      active.add(this);
      this.#unhook = onInterrupt((signal) => this.#interrupted(signal));
    }
  }

  /** Absolute path of `name` inside the run directory. */
  file(name: string): string {
    return join(this.path, name);
  }

  /** Writes a text file atomically and lists it in the manifest. */
  async writeText(name: string, text: string, description: string): Promise<string> {
    await writeFileAtomic(this.file(name), text);
    await this.#output({ file: name, description });
    return this.file(name);
  }

  /** Writes pretty JSON atomically and lists it in the manifest. */
  async writeJson(name: string, value: unknown, description: string): Promise<string> {
    return await this.writeText(name, JSON.stringify(value, null, 2) + "\n", description);
  }

  /** Writes a CSV through the one CSV helper and documents its columns in the manifest. */
  async writeCsv(
    name: string,
    schema: CsvSchema,
    rows: readonly CsvRow[],
    description: string,
  ): Promise<string> {
    await writeCsv(this.file(name), schema, rows);
    await this.#output({ file: name, description, columns: schema.map((c) => ({ ...c })) });
    return this.file(name);
  }

  /** Records the model (ref, revision, weight file digests). */
  async recordModel(model: ModelRecord): Promise<void> {
    this.manifest.model = model;
    await this.save();
  }

  /** Records a dataset split used, replacing an earlier record of the same split. */
  async recordDataset(record: DatasetRecord): Promise<void> {
    const list = this.manifest.datasets;
    const i = list.findIndex((d) => d.name === record.name && d.split === record.split);
    if (i >= 0) list[i] = record;
    else list.push(record);
    await this.save();
  }

  /** Writes `manifest.json` (validated, atomic); saves follow one another, so the last state wins. */
  save(): Promise<void> {
    const next = this.#saving.catch(() => {}).then(() => writeManifest(this.file(MANIFEST), this.manifest));
    this.#saving = next;
    return next;
  }

  /**
   * Marks the run finished: status, end time, and the error message of a failed run. A run that ends well
   * removes the outputs of the run it replaced that it did not write again. Releases the folder's lock.
   */
  async finish(status: "ok" | "failed" | "submitted", error?: unknown): Promise<void> {
    this.manifest.status = status;
    this.manifest.endedAt = this.now().toISOString();
    this.manifest.error = error === undefined ? null : error instanceof Error ? error.message : String(error);
    try {
      await this.save();
      if (status === "ok") {
        const kept = new Set(this.manifest.outputs.map((o) => o.file));
        for (const f of this.#stale) if (!kept.has(f)) await Deno.remove(this.file(f)).catch(() => {});
      }
    } finally {
      await this.#release();
    }
  }

  async #release(): Promise<void> {
    this.#unhook();
    active.delete(this);
    await this.#lock?.release();
    this.#lock = null;
  }

  /** The interrupt handler: manifest "interrupted", lock released, and (outermost run) how to resume. */
  async #interrupted(signal: Deno.Signal): Promise<void> {
    const outermost = ![...active].some((r) => r !== this && isInside(this.path, r.path));
    this.manifest.status = "interrupted";
    this.manifest.endedAt = this.now().toISOString();
    this.manifest.error = `interrupted by ${signal}`;
    try {
      await this.save();
    } finally {
      await this.#release();
    }
    if (outermost) {
      console.error(
        `\ninterrupted (${signal}): ${this.path} is marked "interrupted"; finished stages are kept. Resume with:\n` +
          `  ${resumeLine(this.manifest, this.path)}`,
      );
    }
  }

  async #output(record: OutputRecord): Promise<void> {
    const list = this.manifest.outputs;
    const i = list.findIndex((o) => o.file === record.file);
    if (i >= 0) list[i] = record;
    else list.push(record);
    await this.save();
  }
}

/** True when `path` lies inside `dir` (and is not `dir` itself). */
function isInside(path: string, dir: string): boolean {
  const rel = relative(resolve(dir), resolve(path));
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
}

/** The command line that resumes the run in `dir`: its own, with `--out dir` unless it names one. */
export function resumeLine(manifest: Manifest, dir: string): string {
  const argv = manifest.argv;
  const hasOut = argv.some((a) => a === "--out" || a.startsWith("--out="));
  return shellLine(["deno", "task", manifest.command, ...argv, ...(hasOut ? [] : ["--out", dir])]);
}

function stamp(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, "").replaceAll("-", "").replaceAll(":", "").replace("T", "-");
}

/**
 * Creates the run directory of a command (`<root>/<command>-YYYYMMDD-HHMMSS`, suffixed `-2`, `-3`, ... when
 * taken) with a `manifest.json` in status "running", or opens `options.dir`: an empty or new folder starts
 * there; a run of the same command and configuration resumes (its stale `.partial` files removed);
 * anything else is refused unless `force`. Either way the run holds the folder's lock until it finishes:
 * a second run into the same folder is refused while the first runs.
 */
export async function createRunDir(options: RunDirOptions): Promise<RunDir> {
  const now = options.now ?? (() => new Date());
  const fresh = newManifest({ ...options, now: now() });
  const what = fresh.commandLine;
  if (options.dir !== undefined) {
    const dir = options.dir;
    const lock = await lockRunFolder(dir, what);
    try {
      const force = options.force ?? false;
      const state = await inspectRunFolder(dir, {
        command: options.command,
        config: options.config ?? {},
        force,
      });
      // Files the user had in a folder that was no run are theirs, `.partial` or not.
      if (state.kind === "resume" || (state.kind === "replace" && state.previous)) {
        await removeStalePartials(dir);
      }
      const previous = state.kind === "resume" ? state.previous : null;
      const manifest: Manifest = previous
        ? {
          ...fresh,
          startedAt: previous.startedAt,
          resumedAt: [...previous.resumedAt, fresh.startedAt],
          datasets: previous.datasets,
          model: previous.model,
          outputs: previous.outputs,
        }
        : fresh;
      const stale = state.kind === "replace" ? (state.previous?.outputs.map((o) => o.file) ?? []) : [];
      const run = new RunDir(dir, manifest, { now, lock, stale });
      await run.save();
      return run;
    } catch (err) {
      await lock.release();
      throw err;
    }
  }
  const root = options.root ?? "results/runs";
  await Deno.mkdir(root, { recursive: true });
  const base = join(root, `${options.command}-${stamp(now())}`);
  for (let n = 1;; n++) {
    const path = n === 1 ? base : `${base}-${n}`;
    try {
      await Deno.mkdir(path);
    } catch (err) {
      if (err instanceof Deno.errors.AlreadyExists) continue;
      throw err;
    }
    const run = new RunDir(path, fresh, { now, lock: await lockRunFolder(path, what) });
    await run.save();
    return run;
  }
}

/** A finished stage on disk: `stages/<name>.json`. */
interface StageFile {
  name: string;
  inputsHash: string;
  startedAt: string;
  endedAt: string;
  seconds: number;
  result: unknown;
}

/** Options of {@link runStage}. */
export interface StageOptions<T> {
  /**
   * Whether the files a stored result names are still whole (e.g. a binary file of the expected size); a
   * stored result that is not runs again. Default: every stored result with the same inputs is reused.
   */
  intact?: (stored: T) => Promise<boolean> | boolean;
}

/**
 * Runs stage `name` unless a finished record of it with the same `inputsHash` is in the run directory
 * (a resumed run), in which case its stored result is returned and `fn` is not called. `inputsHash` names
 * everything the stage depends on (use `contentHash` of the config, model and data digests). The result
 * must be plain JSON data (large outputs go to files in the run directory); it is returned as stored, so a
 * computed and a reused stage give equal values. The record is written only after `fn` succeeds, so an
 * interrupted stage runs again, and so does one whose stored result `options.intact` rejects.
 */
export async function runStage<T>(
  run: RunDir,
  name: string,
  inputsHash: string,
  fn: () => Promise<T> | T,
  options: StageOptions<T> = {},
): Promise<T> {
  if (!/^[\w.-]+$/.test(name)) {
    throw new ActpatError(`run stage "${name}"`, "stage names use letters, digits, '_', '.' and '-' only");
  }
  const path = run.file(join(STAGES, `${name}.json`));
  const previous = await readStageFile(path);
  const stages = run.manifest.stages.filter((s) => s.name !== name);
  if (
    previous && previous.inputsHash === inputsHash &&
    (options.intact === undefined || await options.intact(previous.result as T))
  ) {
    stages.push({ ...stageRecord(previous), reused: true });
    run.manifest.stages = stages;
    await run.save();
    return previous.result as T;
  }
  const started = run.now();
  const t0 = performance.now();
  const value = await fn();
  const seconds = (performance.now() - t0) / 1000;
  const stored = value === undefined ? null : JSON.parse(JSON.stringify(value));
  const record: StageFile = {
    name,
    inputsHash,
    startedAt: started.toISOString(),
    endedAt: run.now().toISOString(),
    seconds,
    result: stored,
  };
  await writeFileAtomic(path, JSON.stringify(record, null, 2) + "\n");
  stages.push({ ...stageRecord(record), reused: false });
  run.manifest.stages = stages;
  await run.save();
  return stored as T;
}

function stageRecord(f: StageFile) {
  return {
    name: f.name,
    inputsHash: f.inputsHash,
    startedAt: f.startedAt,
    endedAt: f.endedAt,
    seconds: f.seconds,
  };
}

/**
 * Takes the finished stage records of another run directory (`<from>/stages/*.json`) into `run`, so that
 * its stages with the same inputs are reused: a stage assembled from parts that ran elsewhere (the cells of
 * a reproduction). A folder without records adds nothing.
 */
export async function adoptStageRecords(run: RunDir, from: string): Promise<void> {
  const src = join(from, STAGES);
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(src));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw err;
  }
  for (const e of entries) {
    if (e.isFile && e.name.endsWith(".json")) {
      await writeFileAtomic(run.file(join(STAGES, e.name)), await Deno.readFile(join(src, e.name)));
    }
  }
}

/** A stage record, or null when missing or unreadable (then the stage simply runs again). */
async function readStageFile(path: string): Promise<StageFile | null> {
  try {
    const f = JSON.parse(await Deno.readTextFile(path));
    return typeof f?.inputsHash === "string" && "result" in f ? f as StageFile : null;
  } catch {
    return null;
  }
}

/**
 * Runs a command inside a run directory: creates (or resumes) it, calls `fn`, and marks the manifest "ok",
 * or "failed" with the error message before rethrowing.
 */
export async function withRunDir<T>(options: RunDirOptions, fn: (run: RunDir) => Promise<T>): Promise<T> {
  const run = await createRunDir(options);
  try {
    const value = await fn(run);
    await run.finish(run.endStatus);
    return value;
  } catch (err) {
    await run.finish("failed", err);
    throw err;
  }
}
