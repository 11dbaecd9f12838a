import { basename } from "node:path";
import { EXIT_CODES } from "./exit_codes.ts";
import { describeOsError, isOsError } from "./os_error.ts";

/**
 * Errors the user can act on. Every message reads `Cannot <action>: <detail>` and names the file, tensor,
 * key or flag at fault, so a failed command says what to fix without a stack trace.
 */
export class ActpatError extends Error {
  constructor(action: string, detail: string, options?: { cause?: unknown }) {
    super(`Cannot ${action}: ${detail}`, options);
    this.name = "ActpatError";
  }
}

/**
 * A command line that cannot be parsed: an unknown flag, a missing one, a value outside its grammar. Thrown
 * at the edge, before any model or dataset loads; {@link runMain} exits 2 for it, as for every error.
 */
export class UsageError extends ActpatError {}

/**
 * The one line a failed task prints: an ActpatError's message; an operating-system error as
 * `Cannot <action> <path>: <detail>`; anything else as `Cannot run <task>: internal error: ...`. Never a
 * stack trace, unless `ACTPAT_DEBUG=1`.
 */
export function errorLine(err: unknown, task = taskName()): string {
  if (err instanceof ActpatError) return err.message;
  if (isOsError(err)) {
    const { action, detail } = describeOsError(err);
    return `Cannot ${action}: ${detail}`;
  }
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return `Cannot run ${task}: internal error: ${text} (ACTPAT_DEBUG=1 prints its stack trace)`;
}

/** The task of this process (`tasks/make_checkpoint.ts` → `make-checkpoint`), for messages. */
function taskName(): string {
  try {
    return basename(new URL(Deno.mainModule).pathname).replace(/\.ts$/, "").replaceAll("_", "-");
  } catch {
    return "task";
  }
}

/**
 * Runs a task's main function: the top-level handler of every task. A failure prints `error: ` and
 * {@link errorLine} on stderr and exits 2 (see {@link EXIT_CODES}); `ACTPAT_DEBUG=1` adds the stack.
 */
export async function runMain(main: () => Promise<void> | void): Promise<void> {
  try {
    await main();
  } catch (err) {
    console.error(`error: ${errorLine(err)}`);
    if (Deno.env.get("ACTPAT_DEBUG") === "1" && err instanceof Error) console.error(err.stack);
    Deno.exit(EXIT_CODES.error);
  }
}
