/**
 * The `local` executor with `--devices`: one worker process per device (a GPU, or a slice of the CPU cores),
 * each running one cell at a time (`reproduce --cell ID --out RUN`), cells started as soon as their
 * dependencies are done. The run directory is the only state the workers share: a worker reports through
 * its cell's records and its own log, `<run>/logs/<cell>.log`.
 */
import { join } from "node:path";
import { readCellDone } from "../../results/cell_record.ts";
import { ActpatError, UsageError } from "../../util/errors.ts";
import { onInterrupt } from "../../util/interrupt.ts";
import type { PlannedCell } from "./plan.ts";

/** Where a worker runs: a GPU (by index) or a CPU slice (its threads). */
export interface Device {
  label: string;
  /** GPU index (CUDA_VISIBLE_DEVICES of its worker), or null for a CPU slice. */
  gpu: number | null;
  /** Intra-op threads of the worker (CPU slices: the machine's cores shared out), or null. */
  threads: number | null;
}

/**
 * Parses `--devices`: GPU indices (`0,1,2,3`) and CPU slices (`cpu:0,cpu:1`); the CPU slices share the
 * machine's cores equally (at least one thread each).
 * @example parseDevices("cpu:0,cpu:1", 8) // two workers of 4 threads
 */
export function parseDevices(text: string, cores = navigator.hardwareConcurrency): Device[] {
  const entries = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (entries.length === 0) {
    throw new UsageError("parse --devices", "no device given (e.g. 0,1 or cpu:0,cpu:1)");
  }
  const slices = entries.filter((e) => e.startsWith("cpu:")).length;
  const devices = entries.map((e): Device => {
    const cpu = /^cpu:(\d+)$/.exec(e);
    if (cpu) return { label: e, gpu: null, threads: Math.max(1, Math.floor(cores / slices)) };
    if (/^\d+$/.test(e)) return { label: `gpu:${e}`, gpu: Number(e), threads: null };
    throw new UsageError(
      "parse --devices",
      `"${e}" is neither a GPU index (0, 1, ...) nor a CPU slice (cpu:0, cpu:1, ...)`,
    );
  });
  const dup = devices.find((d, i) => devices.findIndex((x) => x.label === d.label) !== i);
  if (dup) throw new UsageError("parse --devices", `"${dup.label}" is listed twice`);
  return devices;
}

/** Options of {@link runOnWorkers}. */
export interface WorkerOptions {
  run: string;
  devices: readonly Device[];
  /** The command line of a worker running `cell` on `device` (the reproduce task with `--cell`). */
  command(cell: string, device: Device): string[];
  log: (line: string) => void;
}

/**
 * Runs `pending` (in dependency order; their dependencies not in `pending` are done) over the devices. A
 * failed cell stops new starts; the running ones finish, then it is an error naming the cell and its log.
 */
export async function runOnWorkers(pending: readonly PlannedCell[], opts: WorkerOptions): Promise<void> {
  const waiting = new Set(pending.map((c) => c.id));
  const finished = new Set<string>();
  const free = [...opts.devices];
  const running = new Map<string, Promise<{ id: string; device: Device; ok: boolean }>>();
  const failures: string[] = [];
  await Deno.mkdir(join(opts.run, "logs"), { recursive: true });
  const ready = (c: PlannedCell) => c.dependsOn.every((d) => !waiting.has(d) || finished.has(d));
  while (running.size > 0 || (failures.length === 0 && waiting.size > finished.size + running.size)) {
    while (failures.length === 0 && free.length > 0) {
      const cell = pending.find((c) => !finished.has(c.id) && !running.has(c.id) && ready(c));
      if (!cell) break;
      const device = free.shift()!;
      running.set(cell.id, startWorker(cell.id, device, opts));
    }
    if (running.size === 0) break;
    const { id, device, ok } = await Promise.race(running.values());
    running.delete(id);
    free.push(device);
    if (ok && await readCellDone(opts.run, id) !== null) {
      finished.add(id);
      opts.log(`reproduce: ${id} done on ${device.label}`);
    } else {
      failures.push(id);
      opts.log(`reproduce: ${id} failed on ${device.label} (log: ${logPath(opts.run, id)})`);
    }
  }
  if (failures.length > 0) {
    throw new ActpatError(
      "run the cells on local workers",
      `${failures.join(", ")} failed; see ${failures.map((f) => logPath(opts.run, f)).join(", ")}`,
    );
  }
}

/** Where a cell's worker writes its output. */
export function logPath(run: string, cell: string): string {
  return join(run, "logs", `${cell}.log`);
}

async function startWorker(
  id: string,
  device: Device,
  opts: WorkerOptions,
): Promise<{ id: string; device: Device; ok: boolean }> {
  const [cmd, ...args] = opts.command(id, device);
  opts.log(`reproduce: ${id} starts on ${device.label}`);
  using log = await Deno.open(logPath(opts.run, id), { write: true, create: true, truncate: true });
  const child = new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: device.gpu === null ? {} : { CUDA_VISIBLE_DEVICES: String(device.gpu) },
  }).spawn();
  // An interrupted reproduce stops its workers too (each marks its cell's run "interrupted"), then waits.
  const unhook = onInterrupt(async () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // Already ended.
    }
    await child.status;
  });
  const copy = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) await log.write(chunk);
  };
  try {
    const [status] = await Promise.all([child.status, copy(child.stdout), copy(child.stderr)]);
    return { id, device, ok: status.success };
  } finally {
    unhook();
  }
}
