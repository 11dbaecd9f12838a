/**
 * `<run>/plan.json`: the plan a run directory was made for, with the model's weight digests and each cell's
 * run key. Written by the process that starts the run; read by workers (local or Slurm), which re-plan from
 * its config and check that they would run the same cells, and by `reproduce --status`.
 */
import { join } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../../util/atomic_write.ts";
import { ActpatError } from "../../util/errors.ts";
import { ReproduceConfig } from "./config.ts";
import { ReproducePlan, runKey } from "./plan.ts";
import type { ReproduceStage } from "./stages.ts";

/** The contents of `plan.json`. */
export const PlanFile = z.strictObject({
  config: ReproduceConfig,
  only: z.array(z.string()).nullable(),
  weights: z.array(z.string()).describe("sha256 of the model's weight files"),
  keys: z.record(z.string(), z.string()).describe("cell id → run key (its done record's key)"),
  plan: ReproducePlan,
});
export type PlanFile = z.infer<typeof PlanFile>;

/** Path of a run directory's plan file. */
export function planFilePath(run: string): string {
  return join(run, "plan.json");
}

/** Writes `<run>/plan.json` (atomic). */
export async function writePlanFile(
  run: string,
  plan: ReproducePlan,
  config: ReproduceConfig,
  weights: readonly string[],
  only: readonly ReproduceStage[] | undefined,
): Promise<PlanFile> {
  const file: PlanFile = {
    config,
    only: only ? [...only] : null,
    weights: [...weights],
    keys: Object.fromEntries(plan.cells.map((c) => [c.id, runKey(c, weights)])),
    plan,
  };
  await writeFileAtomic(planFilePath(run), JSON.stringify(file, null, 2) + "\n");
  return file;
}

/** Reads `<run>/plan.json`; a clear error when the folder holds no started reproduction. */
export async function readPlanFile(run: string): Promise<PlanFile> {
  const path = planFilePath(run);
  let json: unknown;
  try {
    json = JSON.parse(await Deno.readTextFile(path));
  } catch (err) {
    const detail = err instanceof Deno.errors.NotFound
      ? `${run} holds no plan.json: start the run with deno task reproduce --out ${run} first`
      : (err as Error).message;
    throw new ActpatError(`read ${path}`, detail);
  }
  const parsed = PlanFile.safeParse(json);
  if (!parsed.success) {
    throw new ActpatError(
      `read ${path}`,
      parsed.error.issues.map((i) => i.path.join(".") + ": " + i.message).join("; "),
    );
  }
  return parsed.data;
}
