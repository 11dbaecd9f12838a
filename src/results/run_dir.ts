import { join } from "node:path";
import { writeFileAtomic } from "../util/atomic_write.ts";
import { ActpatError } from "../util/errors.ts";
import { type CsvRow, type CsvSchema, writeCsv } from "./csv.ts";
import {
  type DatasetRecord,
  type Manifest,
  type ModelRecord,
  newManifest,
  type OutputRecord,
  readManifest,
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
   * Use this directory instead of a new one. When it holds a run of the same command, that run resumes:
   * its finished stages whose inputs are unchanged are not recomputed.
   */
  dir?: string;
  /** Clock, for tests. */
  now?: () => Date;
}

const MANIFEST = "manifest.json";
const STAGES = "stages";

/** One command's output directory: `manifest.json`, CSV and other files, and the records of finished stages. */
export class RunDir {
  readonly path: string;
  readonly manifest: Manifest;
  readonly now: () => Date;

  constructor(path: string, manifest: Manifest, now: () => Date) {
    this.path = path;
    this.manifest = manifest;
    this.now = now;
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

  /** Writes `manifest.json` (validated, atomic). */
  async save(): Promise<void> {
    await writeManifest(this.file(MANIFEST), this.manifest);
  }

  /** Marks the run finished: status, end time, and the error message of a failed run. */
  async finish(status: "ok" | "failed", error?: unknown): Promise<void> {
    this.manifest.status = status;
    this.manifest.endedAt = this.now().toISOString();
    this.manifest.error = error === undefined ? null : error instanceof Error ? error.message : String(error);
    await this.save();
  }

  async #output(record: OutputRecord): Promise<void> {
    const list = this.manifest.outputs;
    const i = list.findIndex((o) => o.file === record.file);
    if (i >= 0) list[i] = record;
    else list.push(record);
    await this.save();
  }
}

function stamp(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, "").replaceAll("-", "").replaceAll(":", "").replace("T", "-");
}

/**
 * Creates the run directory of a command (`<root>/<command>-YYYYMMDD-HHMMSS`, suffixed `-2`, `-3`, ... when
 * taken) with a `manifest.json` in status "running", or reopens `options.dir` to resume the run there.
 */
export async function createRunDir(options: RunDirOptions): Promise<RunDir> {
  const now = options.now ?? (() => new Date());
  const fresh = newManifest({ ...options, now: now() });
  if (options.dir !== undefined) {
    let previous: Manifest | undefined;
    try {
      await Deno.stat(join(options.dir, MANIFEST));
      previous = await readManifest(join(options.dir, MANIFEST));
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    if (previous && previous.command !== options.command) {
      throw new ActpatError(
        `resume the run in ${options.dir}`,
        `it is a "${previous.command}" run, not "${options.command}"`,
      );
    }
    await Deno.mkdir(options.dir, { recursive: true });
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
    const run = new RunDir(options.dir, manifest, now);
    await run.save();
    return run;
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
    const run = new RunDir(path, fresh, now);
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

/**
 * Runs stage `name` unless a finished record of it with the same `inputsHash` is in the run directory
 * (a resumed run), in which case its stored result is returned and `fn` is not called. `inputsHash` names
 * everything the stage depends on (use `contentHash` of the config, model and data digests). The result
 * must be plain JSON data (large outputs go to files in the run directory); it is returned as stored, so a
 * computed and a reused stage give equal values. The record is written only after `fn` succeeds, so an
 * interrupted stage runs again.
 */
export async function runStage<T>(
  run: RunDir,
  name: string,
  inputsHash: string,
  fn: () => Promise<T> | T,
): Promise<T> {
  if (!/^[\w.-]+$/.test(name)) {
    throw new ActpatError(`run stage "${name}"`, "stage names use letters, digits, '_', '.' and '-' only");
  }
  const path = run.file(join(STAGES, `${name}.json`));
  const previous = await readStageFile(path);
  const stages = run.manifest.stages.filter((s) => s.name !== name);
  if (previous && previous.inputsHash === inputsHash) {
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
    await run.finish("ok");
    return value;
  } catch (err) {
    await run.finish("failed", err);
    throw err;
  }
}
