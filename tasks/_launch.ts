/**
 * `deno task <name> ARGS` runs `deno run --allow-read --allow-env --allow-run tasks/_launch.ts <name> ARGS`:
 * this launcher computes the task's permissions from ARGS (tasks/_permissions.ts) and runs
 * `tasks/<name>.ts ARGS` in a child Deno with exactly those, never `-A`, and `--no-prompt`, so a task
 * that reaches outside them fails with one `Cannot …` line instead of asking. The child's exit code is the
 * launcher's. Ctrl-C reaches the child from the terminal (same process group), so the launcher ignores
 * SIGINT itself and waits; SIGTERM, usually sent to one process, is passed on.
 */
import { CONFIG_FILE, taskFile, taskPermissions, TASKS } from "./_permissions.ts";

const [task, ...args] = Deno.args;
if (!task || !TASKS.includes(task)) {
  console.error(`error: Cannot launch task: "${task ?? ""}" is not one of ${TASKS.join(", ")}`);
  Deno.exit(2);
}
const child = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "--no-prompt",
    "--config",
    CONFIG_FILE,
    ...taskPermissions(task, args),
    taskFile(task),
    ...args,
  ],
  stdin: "inherit",
  stdout: "inherit",
  stderr: "inherit",
}).spawn();
const ignore = () => {};
const forward = () => child.kill("SIGTERM");
const unix = Deno.build.os !== "windows";
Deno.addSignalListener("SIGINT", ignore);
if (unix) Deno.addSignalListener("SIGTERM", forward);
const status = await child.status;
Deno.removeSignalListener("SIGINT", ignore);
if (unix) Deno.removeSignalListener("SIGTERM", forward);
const SIGNAL_NUMBERS: Partial<Record<Deno.Signal, number>> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
Deno.exit(status.signal ? 128 + (SIGNAL_NUMBERS[status.signal] ?? 1) : status.code);
