/**
 * Runs one cell of a plan into the run directory, whichever process does it (the reproduce process itself,
 * a local worker, a Slurm job): skipped when its done record carries the same key, else run into its own
 * folder and recorded atomically (src/results/cell_record.ts).
 */
import { join } from "node:path";
import { type CellDone, readCellDone, runCell } from "../../results/cell_record.ts";
import { writeFileAtomic } from "../../util/atomic_write.ts";
import { ActpatError } from "../../util/errors.ts";
import type { ExecutablePlan } from "./plan.ts";

/** What running a cell did. */
export interface CellOutcome {
  id: string;
  reused: boolean;
  record: CellDone;
}

/**
 * Runs cell `id` of `exec` in run directory `run` under `key`. An assembly cell first takes the inner stage
 * records of its parts (`<part dir>/stages/*.json`) into its own folder, so the stage reuses their results
 * instead of computing them again.
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
  const { reused, record } = await runCell(run, id, key, async () => {
    if (cell.role === "assembly") {
      for (const dep of exec.plan.cells.filter((c) => cell.dependsOn.includes(c.id))) {
        await adoptStageRecords(join(run, dep.dir), out);
      }
    }
    return await runner(out);
  });
  return { id, reused, record };
}

/** Copies the inner stage records of a part's run folder into the assembling stage's folder. */
async function adoptStageRecords(from: string, into: string): Promise<void> {
  const src = join(from, "stages");
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(src));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw err;
  }
  for (const e of entries) {
    if (e.isFile && e.name.endsWith(".json")) {
      await writeFileAtomic(join(into, "stages", e.name), await Deno.readFile(join(src, e.name)));
    }
  }
}
