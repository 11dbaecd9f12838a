/**
 * The `slurm` executor: each cell that is not done becomes one `sbatch` job running `reproduce --cell`, with
 * `--dependency=afterok:` edges to the jobs of its dependencies, and a last job (after all of them) runs
 * `reproduce` on the run directory to assemble the manifest and the report. Slurm does the scheduling and
 * the shared filesystem the transport: the run directory is the only state (cells' records, `plan.json`,
 * and `slurm/<cell>.job.json`, the job that was last submitted for each cell). Rerunning submits only the
 * cells neither done nor queued.
 */
import { join } from "node:path";
import { z } from "zod";
import { isCellDone, readCellFailed } from "../../results/cell_record.ts";
import { writeFileAtomic } from "../../util/atomic_write.ts";
import { ActpatError } from "../../util/errors.ts";
import type { PlannedCell } from "./plan.ts";
import type { PlanFile } from "./plan_file.ts";

/** What every job asks Slurm for. */
export interface SlurmRequest {
  partition?: string;
  account?: string;
  /** Time limit per cell in Slurm's syntax (`HH:MM:SS`, `D-HH`, minutes). */
  time?: string;
  cpusPerTask: number;
  /** One GPU per job (`--gres=gpu:1`): when the execution provider is a GPU one. */
  gpu: boolean;
}

/** How to write and submit the jobs. */
export interface SlurmOptions {
  request: SlurmRequest;
  /** The folder jobs start in (the repository, where deno.json is). */
  chdir: string;
  /** The command line of the job running `cell`. */
  cellCommand(cell: string): string[];
  /** The command line of the last job, which finishes the run. */
  finishCommand: string[];
  /** Print the scripts instead of submitting them (`--dry-run`). */
  dryRun: boolean;
  log: (line: string) => void;
}

const JobFile = z.strictObject({
  cell: z.string(),
  jobId: z.string(),
  key: z.string(),
  submittedAt: z.string(),
});
type JobFile = z.infer<typeof JobFile>;

function jobFilePath(run: string, cell: string): string {
  return join(run, "slurm", `${cell}.job.json`);
}

async function readJobFile(run: string, cell: string): Promise<JobFile | null> {
  try {
    const parsed = JobFile.safeParse(JSON.parse(await Deno.readTextFile(jobFilePath(run, cell))));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** A value quoted for bash. */
function sh(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

/** The sbatch script of a job: `#SBATCH` lines, then the command. */
export function sbatchScript(
  name: string,
  command: readonly string[],
  o: { run: string; chdir: string; request: SlurmRequest; after: readonly string[] },
): string {
  const r = o.request;
  const lines = [
    "#!/bin/bash",
    `#SBATCH --job-name=${sh(`actpat-${name}`)}`,
    `#SBATCH --output=${sh(join(o.run, "logs", `${name}.%j.log`))}`,
    `#SBATCH --chdir=${sh(o.chdir)}`,
    "#SBATCH --nodes=1",
    "#SBATCH --ntasks=1",
    `#SBATCH --cpus-per-task=${r.cpusPerTask}`,
    ...(r.gpu ? ["#SBATCH --gres=gpu:1"] : []),
    ...(r.partition ? [`#SBATCH --partition=${sh(r.partition)}`] : []),
    ...(r.account ? [`#SBATCH --account=${sh(r.account)}`] : []),
    ...(r.time ? [`#SBATCH --time=${sh(r.time)}`] : []),
    ...(o.after.length > 0 ? [`#SBATCH --dependency=afterok:${o.after.join(":")}`] : []),
    // A job whose dependency failed is removed instead of waiting forever; the next reproduce resubmits it.
    "#SBATCH --kill-on-invalid-dep=yes",
    `exec ${command.map(sh).join(" ")}`,
    "",
  ];
  return lines.join("\n");
}

/** Runs a Slurm command; its stdout, or a `Cannot` error with its stderr. */
async function slurm(cmd: string, args: string[], stdin?: string): Promise<string> {
  let child;
  try {
    child = new Deno.Command(cmd, {
      args,
      stdin: stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    })
      .spawn();
  } catch (err) {
    const detail = err instanceof Deno.errors.NotFound
      ? `${cmd} is not on PATH (is this a Slurm login node?)`
      : (err as Error).message;
    throw new ActpatError(`run ${cmd}`, detail);
  }
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new ActpatError(
      `run ${cmd} ${args.join(" ")}`,
      new TextDecoder().decode(out.stderr).trim() || `exit ${out.code}`,
    );
  }
  return text;
}

/** The state of each of `jobIds` that Slurm still lists (PENDING, RUNNING, ...), from `squeue`. */
export async function queuedStates(jobIds: readonly string[]): Promise<Map<string, string>> {
  const states = new Map<string, string>();
  if (jobIds.length === 0) return states;
  const text = await slurm("squeue", ["-h", "-o", "%i %T", "-j", jobIds.join(",")]).catch(() => "");
  for (const line of text.split("\n")) {
    const [id, state] = line.trim().split(/\s+/);
    if (id && state) states.set(id, state);
  }
  return states;
}

/**
 * The final state of jobs Slurm no longer queues: `sacct` where accounting is on, else `scontrol show job`
 * (which remembers jobs for MinJobAge); jobs neither knows are left out.
 */
async function endedStates(jobIds: readonly string[]): Promise<Map<string, string>> {
  const states = new Map<string, string>();
  if (jobIds.length === 0) return states;
  const acct = await slurm("sacct", ["-n", "-P", "-X", "-o", "JobID,State", "-j", jobIds.join(",")]).catch(
    () => "",
  );
  for (const line of acct.split("\n")) {
    const [id, state] = line.trim().split("|");
    if (id && state) states.set(id, state.split(" ")[0]);
  }
  for (const id of jobIds.filter((j) => !states.has(j))) {
    const text = await slurm("scontrol", ["show", "job", "-o", id]).catch(() => "");
    const m = /JobState=(\S+)/.exec(text);
    if (m) states.set(id, m[1]);
  }
  return states;
}

/** The states a job passes through before it ends. */
const LIVE = new Set([
  "PENDING",
  "CONFIGURING",
  "RUNNING",
  "COMPLETING",
  "SUSPENDED",
  "REQUEUED",
  "RESIZING",
]);

/**
 * Submits the pending cells (in dependency order) and the job that finishes the run. A cell whose last job
 * is still queued or running for the same key is not submitted again; its job id serves the edges of the
 * cells after it.
 */
export async function submitToSlurm(
  pending: readonly PlannedCell[],
  file: PlanFile,
  run: string,
  opts: SlurmOptions,
): Promise<void> {
  const jobs = new Map<string, string>();
  const previous = new Map<string, JobFile>();
  for (const c of pending) {
    const j = await readJobFile(run, c.id);
    if (j && j.key === file.keys[c.id]) previous.set(c.id, j);
  }
  const live = opts.dryRun ? new Map() : await queuedStates([...previous.values()].map((j) => j.jobId));
  const scripts: string[] = [];
  const submit = async (name: string, command: string[], after: string[]) => {
    const script = sbatchScript(name, command, { run, chdir: opts.chdir, request: opts.request, after });
    if (opts.dryRun) {
      scripts.push(`# ---- ${name}\n${script}`);
      return `<job of ${name}>`;
    }
    await Deno.mkdir(join(run, "logs"), { recursive: true });
    const path = join(run, "slurm", `${name}.sbatch`);
    await writeFileAtomic(path, script);
    return (await slurm("sbatch", ["--parsable", path])).trim().split(";")[0];
  };
  for (const cell of pending) {
    const queued = previous.get(cell.id);
    if (queued && LIVE.has(live.get(queued.jobId) ?? "")) {
      jobs.set(cell.id, queued.jobId);
      opts.log(`reproduce: ${cell.id} is already queued as job ${queued.jobId}`);
      continue;
    }
    const after = cell.dependsOn.map((d) => jobs.get(d)).filter((j): j is string => j !== undefined);
    const jobId = await submit(cell.id, opts.cellCommand(cell.id), after);
    jobs.set(cell.id, jobId);
    if (!opts.dryRun) {
      const record: JobFile = {
        cell: cell.id,
        jobId,
        key: file.keys[cell.id],
        submittedAt: new Date().toISOString(),
      };
      await writeFileAtomic(jobFilePath(run, cell.id), JSON.stringify(record, null, 2) + "\n");
      opts.log(
        `reproduce: ${cell.id} submitted as job ${jobId}${
          after.length ? ` (after ${after.join(", ")})` : ""
        }`,
      );
    }
  }
  // One job finishes the run; one still queued after the same cells is not doubled.
  const finishing = await readJobFile(run, "finish");
  const submittedNow = pending.some((c) => jobs.get(c.id) !== previous.get(c.id)?.jobId);
  if (
    !opts.dryRun && !submittedNow && finishing &&
    LIVE.has((await queuedStates([finishing.jobId])).get(finishing.jobId) ?? "")
  ) {
    opts.log(`reproduce: job ${finishing.jobId} already finishes the run`);
    return;
  }
  const finish = await submit("finish", opts.finishCommand, [...jobs.values()]);
  if (opts.dryRun) {
    console.log(scripts.join("\n"));
    return;
  }
  const record: JobFile = { cell: "finish", jobId: finish, key: "", submittedAt: new Date().toISOString() };
  await writeFileAtomic(jobFilePath(run, "finish"), JSON.stringify(record, null, 2) + "\n");
  opts.log(`reproduce: job ${finish} finishes the run (manifest, report) after the cells`);
}

/** A cell's state for `reproduce --status`. */
export interface CellStatus {
  cell: string;
  state: "done" | "pending" | "running" | "failed" | "missing";
  job: string | null;
  detail: string | null;
}

/**
 * The state of every cell of a started run, from its records and, for the cells submitted to Slurm and not
 * done, from `squeue`, then `sacct` (or `scontrol`).
 */
export async function cellStates(run: string, file: PlanFile): Promise<CellStatus[]> {
  const out: CellStatus[] = [];
  const jobsOf = new Map<string, JobFile>();
  for (const c of file.plan.cells) {
    if (await isCellDone(run, c.id, file.keys[c.id])) continue;
    const j = await readJobFile(run, c.id);
    if (j && j.key === file.keys[c.id]) jobsOf.set(c.id, j);
  }
  const ids = [...jobsOf.values()].map((j) => j.jobId);
  const queued = await queuedStates(ids);
  const ended = await endedStates(ids.filter((id) => !queued.has(id)));
  for (const c of file.plan.cells) {
    if (await isCellDone(run, c.id, file.keys[c.id])) {
      out.push({ cell: c.id, state: "done", job: null, detail: null });
      continue;
    }
    const job = jobsOf.get(c.id)?.jobId ?? null;
    const failed = await readCellFailed(run, c.id);
    const q = job ? queued.get(job) : undefined;
    if (q) {
      out.push({ cell: c.id, state: q === "PENDING" ? "pending" : "running", job, detail: q });
    } else if (failed && failed.key === file.keys[c.id]) {
      out.push({ cell: c.id, state: "failed", job, detail: failed.error });
    } else if (job && ended.has(job)) {
      const s = ended.get(job)!;
      out.push({ cell: c.id, state: s === "COMPLETED" ? "missing" : "failed", job, detail: `job ${s}` });
    } else {
      out.push({ cell: c.id, state: "missing", job, detail: job ? "job no longer known to Slurm" : null });
    }
  }
  return out;
}
