/**
 * `deno task reproduce`: every experiment of the two papers for one configuration (config.ts), in the
 * paper's order, into one run directory. plan.ts turns the configuration into stages and cells (units of
 * work with dependencies and content hashes); reproduce.ts runs the cells not yet done, in this process,
 * on local workers (local_workers.ts) or as Slurm jobs (slurm.ts), each through execute_cell.ts.
 *
 * @module
 */
export { DEFAULT_CONFIG_PATH, readReproduceConfig, ReproduceConfig } from "./config.ts";
export {
  planOf,
  REPRODUCE_STAGES,
  type ReproduceExecutor,
  type ReproduceStage,
  runReproduction,
  runReproductionCell,
} from "./reproduce.ts";
export { type PlannedCell, ReproducePlan } from "./plan.ts";
export { readPlanFile } from "./plan_file.ts";
export { formatPlan, formatStatus } from "./plan_text.ts";
export { parseDevices } from "./local_workers.ts";
export { cellStates, submitToSlurm } from "./slurm.ts";
