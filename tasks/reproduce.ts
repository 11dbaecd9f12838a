/**
 * `deno task reproduce [--config FILE] [--out DIR] [--only density,sts,...] [--no-pdf]`: every experiment of the
 * configuration (default paper/configs/default.json: stories260K, minutes on 2 CPU cores) into one run
 * directory, then its figures and report.pdf. `--out` an existing run resumes it: unchanged cells are reused.
 * `--plan` prints what would run; `--executor local --devices ...` runs the cells on worker processes,
 * `--executor slurm` submits them as Slurm jobs; `--status` says where a run stands. See
 * src/experiments/reproduce/.
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  cellStates,
  DEFAULT_CONFIG_PATH,
  formatPlan,
  formatStatus,
  parseDevices,
  planOf,
  readPlanFile,
  readReproduceConfig,
  REPRODUCE_STAGES,
  type ReproduceExecutor,
  type ReproduceStage,
  runReproduction,
  runReproductionCell,
  submitToSlurm,
} from "../src/experiments/reproduce/mod.ts";
import { renderReport } from "../src/report/report.ts";
import { runMain, UsageError } from "../src/util/errors.ts";
import { listFlag, oneOf, overrideFlags, parseTaskArgs, positiveInt } from "./_cli.ts";
import { CONFIG_FILE, REPO_ROOT, taskFile, taskPermissions } from "./_permissions.ts";

const STAGE_NAMES = REPRODUCE_STAGES.map((s) => s.name);
const USAGE = `usage: deno task reproduce [--config FILE] [--out DIR] [--only ${
  STAGE_NAMES.join(",")
}] [--no-pdf]
       [--executor local|slurm] [--devices 0,1,...|cpu:0,cpu:1,...]
       [--partition P] [--account A] [--time T] [--cpus-per-task N] [--dry-run]
       deno task reproduce --plan [--json] [--config FILE] [--only ...]
       deno task reproduce --status --out DIR [--json]`;

/** The command line of `reproduce ARGS` as `deno task` would start it: same permissions, never -A. */
function taskCommand(args: string[]): string[] {
  return [
    Deno.execPath(),
    "run",
    "--no-prompt",
    "--config",
    CONFIG_FILE,
    ...taskPermissions("reproduce", args),
    taskFile("reproduce"),
    ...args,
  ];
}

await runMain(async () => {
  const { values } = parseTaskArgs("reproduce", USAGE, Deno.args, {
    config: { type: "string" },
    out: { type: "string" },
    only: { type: "string" },
    "no-pdf": { type: "boolean" },
    "allow-nonfinite": { type: "boolean" },
    plan: { type: "boolean" },
    json: { type: "boolean" },
    status: { type: "boolean" },
    executor: { type: "string", default: "local" },
    devices: { type: "string" },
    cell: { type: "string" },
    threads: { type: "string" },
    partition: { type: "string" },
    account: { type: "string" },
    time: { type: "string" },
    "cpus-per-task": { type: "string" },
    "dry-run": { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const only = listFlag(values.only);
  for (const stage of only ?? []) {
    if (!(STAGE_NAMES as string[]).includes(stage)) {
      throw new UsageError("parse --only", `unknown stage "${stage}" (stages: ${STAGE_NAMES.join(", ")})`);
    }
  }
  const executor = oneOf("executor", values.executor, ["local", "slurm"] as const);
  const threads = positiveInt("threads", values.threads);
  const cpusPerTask = positiveInt("cpus-per-task", values["cpus-per-task"]) ?? 1;
  const devices = values.devices === undefined ? undefined : parseDevices(values.devices);
  if (devices && executor !== "local") {
    throw new UsageError("parse --devices", "it goes with --executor local");
  }
  const slurmOnly = ["partition", "account", "time", "cpus-per-task", "dry-run"] as const;
  for (const f of slurmOnly) {
    if (values[f] !== undefined && executor !== "slurm") {
      throw new UsageError(`parse --${f}`, "it goes with --executor slurm");
    }
  }
  const out = values.out === undefined ? undefined : resolve(values.out);

  // A worker: one cell of a started run (local workers and Slurm jobs start these).
  if (values.cell !== undefined) {
    if (!out) throw new UsageError("run reproduce", `--cell needs --out (the run directory)\n${USAGE}`);
    const outcome = await runReproductionCell({
      run: out,
      cell: values.cell,
      ...(threads ? { threads } : {}),
    });
    console.log(
      `${outcome.id}: ${outcome.reused ? "reused" : "ran"} in ${outcome.record.seconds.toFixed(1)} s`,
    );
    return;
  }
  if (threads !== undefined) {
    throw new UsageError("parse --threads", "it goes with --cell (the config sets threads)");
  }
  if (values.status) {
    if (!out) throw new UsageError("run reproduce", `--status needs --out (the run directory)\n${USAGE}`);
    const states = await cellStates(out, await readPlanFile(out));
    console.log(values.json ? JSON.stringify(states, null, 2) : formatStatus(out, states));
    return;
  }

  const configPath = values.config ? resolve(values.config) : fileURLToPath(DEFAULT_CONFIG_PATH);
  const config = await readReproduceConfig(configPath);
  const stages = only as ReproduceStage[] | undefined;
  if (values.plan) {
    const { plan } = await planOf({ config, configPath, only: stages }, false);
    console.log(values.json ? JSON.stringify(plan, null, 2) : formatPlan(plan));
    return;
  }
  if (values.json) throw new UsageError("parse --json", "it goes with --plan or --status");
  const finishArgs = (run: string) => [
    "--config",
    configPath,
    "--out",
    run,
    ...(only ? ["--only", only.join(",")] : []),
    ...(values["no-pdf"] ? ["--no-pdf"] : []),
    ...(values["allow-nonfinite"] ? ["--allow-nonfinite"] : []),
  ];
  let plan: ReproduceExecutor = { kind: "in-process" };
  if (devices) {
    plan = {
      kind: "workers",
      devices,
      command: (cell, device) =>
        taskCommand([
          "--cell",
          cell,
          "--out",
          out!,
          ...(device.threads ? ["--threads", String(device.threads)] : []),
        ]),
    };
  }
  if (executor === "slurm") {
    if (!out) {
      throw new UsageError("run reproduce", `--executor slurm needs --out on a shared filesystem\n${USAGE}`);
    }
    const slurmOptions = (run: string) => ({
      request: {
        ...(values.partition ? { partition: values.partition } : {}),
        ...(values.account ? { account: values.account } : {}),
        ...(values.time ? { time: values.time } : {}),
        cpusPerTask,
        gpu: config.ep !== "cpu",
      },
      chdir: REPO_ROOT,
      cellCommand: (cell: string) =>
        taskCommand(["--cell", cell, "--out", run, "--threads", String(cpusPerTask)]),
      finishCommand: taskCommand(finishArgs(run)),
      dryRun: values["dry-run"] === true,
      log: (line: string) => console.error(line),
    });
    if (values["dry-run"]) {
      // Nothing is written: the cells not done under the run's plan.json (all, for a new run) are printed.
      const { plan: p } = await planOf({ config, configPath, only: stages }, false);
      const file = await readPlanFile(out).catch(() => null);
      const keys = file?.keys ?? Object.fromEntries(p.cells.map((c) => [c.id, c.hash]));
      const states = file ? await cellStates(out, file) : [];
      const done = new Set(states.filter((s) => s.state === "done").map((s) => s.cell));
      await submitToSlurm(
        p.cells.filter((c) => !done.has(c.id)),
        {
          config,
          only: only ?? null,
          weights: file?.weights ?? [],
          keys,
          plan: p,
        },
        out,
        slurmOptions(out),
      );
      return;
    }
    plan = {
      kind: "scheduler",
      submit: (pending, file, run) => submitToSlurm(pending, file, run, slurmOptions(run)),
    };
  }
  console.error(`reproduce: ${config.title}`);
  const result = await runReproduction({
    config,
    configPath,
    out,
    argv: Deno.args,
    ...overrideFlags(values),
    only: stages,
    executor: plan,
  });
  if (executor === "slurm" && result.stages.length === 0) {
    console.log(`run directory: ${result.dir}`);
    console.log(`submitted; follow with: deno task reproduce --status --out ${result.dir}`);
    return;
  }
  const report = await renderReport(result.dir, { pdf: !values["no-pdf"] });
  console.log(`run directory: ${result.dir}`);
  for (const s of result.stages) {
    const what = s.status === "skipped"
      ? `skipped (${s.reason})`
      : `${s.status} in ${s.seconds.toFixed(1)} s`;
    console.log(`  ${s.stage.padEnd(10)} ${what}`);
  }
  console.log(`report: ${report.pdf ?? report.html}`);
  for (const line of report.notRun) console.log(`not run: ${line}`);
});
