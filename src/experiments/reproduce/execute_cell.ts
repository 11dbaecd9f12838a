/**
 * Runs one cell of a plan into the run directory, whichever process does it (the reproduce process itself,
 * a local worker, a Slurm job): skipped when its done record carries the same key, else run into its own
 * folder and recorded atomically (src/results/cell_record.ts).
 */
import { join } from "node:path";
import { type CellDone, readCellDone, runCell } from "../../results/cell_record.ts";
import { ActpatError } from "../../util/errors.ts";
import type { ExecutablePlan } from "./plan.ts";

/** What running a cell did. */
export interface CellOutcome {
  id: string;
  reused: boolean;
  record: CellDone;
}

/**
 * Runs cell `id` of `exec` in run directory `run` under `key`. An assembly cell is given its parts' folders,
 * whose inner stage records its run takes, so the stage reuses their results instead of computing them again.
 */
export async function executeCell(
  exec: ExecutablePlan,
  run: string,
  id: string,
  key: string,
): Promise<CellOutcome> {
  const cell = exec.plan.cells.find((c) => c.id === id);
  const runner = exec.runners.get(id);
  if (!cell || !runner) {
    const ids = exec.plan.cells.map((c) => c.id).join(", ");
    throw new ActpatError(`run cell ${id}`, `the plan has no such cell (cells: ${ids})`);
  }
  const done = await readCellDone(run, id);
  if (done?.key === key) return { id, reused: true, record: done };
  const out = join(run, cell.dir);
  // An assembly takes its parts' finished inner stages, so it reuses their results.
  const parts = exec.plan.cells.filter((c) => cell.dependsOn.includes(c.id)).map((c) => join(run, c.dir));
  const { reused, record } = await runCell(run, id, key, () => runner(out, parts));
  return { id, reused, record };
}
