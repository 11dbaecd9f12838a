import { z } from "zod";
import denoJson from "../../deno.json" with { type: "json" };
import { writeFileAtomic } from "../util/atomic_write.ts";
import { ActpatError } from "../util/errors.ts";
import { contentHash } from "./content_hash.ts";
import type { LoadedModel } from "../model/load_model.ts";

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "not a hex sha256");
const isoTime = z.iso.datetime();

/** A file that went into a run, with its digest. */
export const FileDigest = z.object({
  path: z.string().describe("path as resolved on this machine"),
  sha256,
  bytes: z.number().int().nonnegative(),
});
export type FileDigest = z.infer<typeof FileDigest>;

/** The model of a run: how it was named, what it resolved to, and the digests of its weight files. */
export const ModelRecord = z.object({
  ref: z.string().describe("as given: a path or a hub id"),
  revision: z.string().nullable().describe("hub revision (commit or branch) when resolved through the hub"),
  files: z.array(FileDigest).describe("weight files (safetensors shards or llama2.c .bin)"),
});
export type ModelRecord = z.infer<typeof ModelRecord>;

/** The manifest record of a loaded model: the ref as given and the digests of its weight files. */
export function modelRecord(model: Pick<LoadedModel, "ref" | "files">): ModelRecord {
  return {
    ref: model.ref,
    revision: null,
    files: model.files.map((f) => ({ path: f.path, sha256: f.sha256, bytes: f.bytes })),
  };
}

/**
 * What drew a record's ids or windows: `python-random` (CPython's MT19937 bit for bit, src/data/python_random.ts,
 * where the references use `random`), `pcg32` (src/data/prng.ts, draws no reference fixes), `first-rows`
 * (the first N rows, no draw: the paper's STS-B).
 */
export const DrawGenerator = z.enum(["python-random", "pcg32", "first-rows"]);
export type DrawGenerator = z.infer<typeof DrawGenerator>;

/**
 * The draws made earlier on the same generator after its seeding, in order (`dataset/split×count`): a
 * script's later datasets continue the state its earlier ones left (src/data/paper_runs.ts).
 */
export const DrawsBefore = z.array(z.string());

/** A dataset split used by a run: its files and exactly which examples or token windows. */
export const DatasetRecord = z.object({
  name: z.string(),
  split: z.string(),
  files: z.array(
    FileDigest.extend({
      from: z.enum(["embedded", "mirror", "cache", "download"]),
      url: z.string().optional(),
    }),
  ),
  examples: z.object({
    seed: z.number().int().nullable(),
    ids: z.array(z.number().int().nonnegative()),
    generator: DrawGenerator.optional(),
    after: DrawsBefore.optional(),
  }).optional().describe("row positions in the split, in the order used"),
  windows: z.object({
    seed: z.number().int().nullable(),
    generator: DrawGenerator.optional(),
    after: DrawsBefore.optional(),
    seqLen: z.number().int().positive(),
    docs: z.array(z.number().int().nonnegative()).optional().describe("document of each window (C4)"),
    starts: z.array(z.number().int().nonnegative()).describe("first token of each window"),
  }).optional().describe("token windows (calibration, perplexity)"),
});
export type DatasetRecord = z.infer<typeof DatasetRecord>;

/** What a run used of a loaded split (structurally src/data's `LoadedSplit`). */
export interface UsedSplit {
  dataset: string;
  split: string;
  files: {
    path: string;
    sha256: string;
    bytes: number;
    from: "embedded" | "mirror" | "cache" | "download";
    url?: string;
  }[];
}

/** The manifest record of a loaded split, with the example ids or token windows the run used. */
export function datasetRecord(
  loaded: UsedSplit,
  used: Pick<DatasetRecord, "examples" | "windows"> = {},
): DatasetRecord {
  return {
    name: loaded.dataset,
    split: loaded.split,
    files: loaded.files.map((f) => ({
      path: f.path,
      sha256: f.sha256,
      bytes: f.bytes,
      from: f.from,
      ...(f.url ? { url: f.url } : {}),
    })),
    ...used,
  };
}

/** One stage of a run, computed or reused from an earlier (interrupted) attempt. */
export const StageRecord = z.object({
  name: z.string(),
  inputsHash: z.string(),
  reused: z.boolean(),
  startedAt: isoTime,
  endedAt: isoTime,
  seconds: z.number().nonnegative(),
});
export type StageRecord = z.infer<typeof StageRecord>;

/** A stage (or one of its inputs) that was not run, with the reason (e.g. a dataset that cannot be had). */
export const SkipRecord = z.object({ stage: z.string(), reason: z.string() });
export type SkipRecord = z.infer<typeof SkipRecord>;

/** A file the run wrote, with its column documentation for CSV files. */
export const OutputRecord = z.object({
  file: z.string().describe("relative to the run directory"),
  description: z.string(),
  columns: z.array(z.object({
    name: z.string(),
    type: z.enum(["string", "integer", "number", "boolean"]),
    description: z.string(),
    nullable: z.boolean().optional(),
  })).optional(),
});
export type OutputRecord = z.infer<typeof OutputRecord>;

/** `manifest.json` of a run directory: everything needed to know what a run did and to redo it. */
export const Manifest = z.object({
  schemaVersion: z.literal(1),
  command: z.string().describe("task name, e.g. prune"),
  argv: z.array(z.string()).describe("arguments after the task name"),
  commandLine: z.string().describe("the command as typed, quoted for a POSIX shell"),
  config: z.record(z.string(), z.unknown()).describe("the resolved configuration (flags after defaults)"),
  configHash: z.string().optional().describe(
    "contentHash of the configuration the run started with; a run of another configuration may not resume here",
  ),
  seed: z.number().int().nullable(),
  executionProvider: z.string().nullable(),
  model: ModelRecord.nullable(),
  datasets: z.array(DatasetRecord),
  versions: z.object({
    actpat: z.string(),
    deno: z.string(),
    v8: z.string(),
    typescript: z.string(),
    onnxruntime: z.string(),
  }),
  host: z.object({ os: z.string(), arch: z.string() }),
  startedAt: isoTime,
  resumedAt: z.array(isoTime).describe("restarts of an interrupted run in the same directory"),
  endedAt: isoTime.nullable(),
  status: z.enum(["running", "ok", "failed", "interrupted", "submitted"]).describe(
    "interrupted: stopped by SIGINT or SIGTERM; rerun the command line with --out on this folder to resume; " +
      "submitted: its cells were handed to Slurm, and the run's last job finishes it",
  ),
  error: z.string().nullable(),
  stages: z.array(StageRecord),
  skipped: z.array(SkipRecord).default([]).describe("stages or inputs not run, and why"),
  outputs: z.array(OutputRecord),
  measurements: z.record(z.string(), z.unknown()).optional().describe(
    "resource use of the run: wall time, peak resident memory and the budget it is held to",
  ),
});
export type Manifest = z.infer<typeof Manifest>;

/** Versions of actpat (deno.json), Deno, V8, TypeScript and onnxruntime-node (its pinned npm version). */
export function versions(): Manifest["versions"] {
  const ort = (denoJson.imports as Record<string, string>)["onnxruntime-node"]?.match(/@([^@/]+)$/)?.[1];
  return {
    actpat: denoJson.version,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    onnxruntime: ort ?? "unknown",
  };
}

/** `args` as one POSIX shell line (single-quoted where needed), for the manifest's `commandLine`. */
export function shellLine(args: readonly string[]): string {
  return args.map((a) => /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'"'"'`)}'`).join(" ");
}

/** A fresh manifest for `command` started now; the run fills in model, datasets, stages and outputs. */
export function newManifest(options: {
  command: string;
  argv?: string[];
  config?: Record<string, unknown>;
  seed?: number | null;
  executionProvider?: string | null;
  now?: Date;
}): Manifest {
  const argv = options.argv ?? [];
  return {
    schemaVersion: 1,
    command: options.command,
    argv,
    commandLine: shellLine(["deno", "task", options.command, ...argv]),
    config: options.config ?? {},
    configHash: contentHash(JSON.parse(JSON.stringify(options.config ?? {}))),
    seed: options.seed ?? null,
    executionProvider: options.executionProvider ?? null,
    model: null,
    datasets: [],
    versions: versions(),
    host: { os: Deno.build.os, arch: Deno.build.arch },
    startedAt: (options.now ?? new Date()).toISOString(),
    resumedAt: [],
    endedAt: null,
    status: "running",
    error: null,
    stages: [],
    skipped: [],
    outputs: [],
  };
}

/** Validates `manifest` and writes it as pretty JSON, atomically. Throws naming the first invalid field. */
export async function writeManifest(path: string, manifest: Manifest): Promise<void> {
  const parsed = Manifest.safeParse(manifest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ActpatError(`write ${path}`, `field "${issue.path.join(".")}" ${issue.message}`);
  }
  await writeFileAtomic(path, JSON.stringify(parsed.data, null, 2) + "\n");
}

/** Reads and validates a `manifest.json`. */
export async function readManifest(path: string): Promise<Manifest> {
  let json: unknown;
  try {
    json = JSON.parse(await Deno.readTextFile(path));
  } catch (err) {
    throw new ActpatError(`read ${path}`, (err as Error).message);
  }
  const parsed = Manifest.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ActpatError(`read ${path}`, `field "${issue.path.join(".")}" ${issue.message}`);
  }
  return parsed.data;
}
