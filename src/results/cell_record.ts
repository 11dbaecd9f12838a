/**
 * The stage cache of a run directory, extended to cells: a cell (one unit of work of a grid, run by any
 * process on any machine that sees the directory) leaves `cells/<id>.done.json` when it finished and
 * `cells/<id>.failed.json` when it failed. Each cell writes only its own two records, atomically, so cells
 * running at once never write the same file; the records are the grid's only state.
 */
import { join } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../util/atomic_write.ts";
import { ActpatError } from "../util/errors.ts";

const CELLS = "cells";

/** A finished cell: the key it ran under, when and how long, and its (plain JSON) result. */
export const CellDone = z.strictObject({
  id: z.string(),
  /** Everything the cell depends on (its plan hash and the model's weight digests). */
  key: z.string(),
  startedAt: z.string(),
  endedAt: z.string(),
  seconds: z.number(),
  host: z.string(),
  result: z.unknown(),
});
export type CellDone = z.infer<typeof CellDone>;

/** A failed attempt: the error, for `reproduce --status`; the next run tries the cell again. */
export const CellFailed = z.strictObject({
  id: z.string(),
  key: z.string(),
  endedAt: z.string(),
  host: z.string(),
  error: z.string(),
});
export type CellFailed = z.infer<typeof CellFailed>;

/** Cell ids are file names: letters, digits, '_', '.', '-'. */
export function checkCellId(id: string): string {
  if (!/^[\w.-]+$/.test(id)) {
    throw new ActpatError(`name cell "${id}"`, "cell ids use letters, digits, '_', '.' and '-' only");
  }
  return id;
}

/** Path of a cell's record of `kind` in run directory `run`. */
export function cellRecordPath(run: string, id: string, kind: "done" | "failed"): string {
  return join(run, CELLS, `${checkCellId(id)}.${kind}.json`);
}

async function readRecord<T>(path: string, schema: z.ZodType<T>): Promise<T | null> {
  try {
    const parsed = schema.safeParse(JSON.parse(await Deno.readTextFile(path)));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The done record of a cell, or null when missing or unreadable (then the cell simply runs again). */
export function readCellDone(run: string, id: string): Promise<CellDone | null> {
  return readRecord(cellRecordPath(run, id, "done"), CellDone);
}

/** The last failure of a cell, or null. */
export function readCellFailed(run: string, id: string): Promise<CellFailed | null> {
  return readRecord(cellRecordPath(run, id, "failed"), CellFailed);
}

/** Whether cell `id` finished under `key`. */
export async function isCellDone(run: string, id: string, key: string): Promise<boolean> {
  return (await readCellDone(run, id))?.key === key;
}

/**
 * Runs cell `id` unless it finished under the same `key`, in which case its stored result is returned and
 * `fn` is not called (as `runStage` does for the stages of one process). The done record is written only
 * after `fn` succeeds; a failure leaves a failed record (and rethrows), so an interrupted or failed cell
 * runs again next time.
 */
export async function runCell<T>(
  run: string,
  id: string,
  key: string,
  fn: () => Promise<T>,
): Promise<{ result: T; reused: boolean; record: CellDone }> {
  const previous = await readCellDone(run, id);
  if (previous?.key === key) return { result: previous.result as T, reused: true, record: previous };
  const host = Deno.hostname();
  const started = new Date();
  const t0 = performance.now();
  let value: T;
  try {
    value = await fn();
  } catch (err) {
    const failed: CellFailed = {
      id,
      key,
      endedAt: new Date().toISOString(),
      host,
      error: err instanceof Error ? err.message : String(err),
    };
    await writeFileAtomic(cellRecordPath(run, id, "failed"), JSON.stringify(failed, null, 2) + "\n")
      .catch(() => {});
    throw err;
  }
  const record: CellDone = {
    id,
    key,
    startedAt: started.toISOString(),
    endedAt: new Date().toISOString(),
    seconds: (performance.now() - t0) / 1000,
    host,
    result: value === undefined ? null : JSON.parse(JSON.stringify(value)),
  };
  await writeFileAtomic(cellRecordPath(run, id, "done"), JSON.stringify(record, null, 2) + "\n");
  await Deno.remove(cellRecordPath(run, id, "failed")).catch(() => {});
  return { result: record.result as T, reused: false, record };
}
