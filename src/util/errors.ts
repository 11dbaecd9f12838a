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
 * at the edge, before any model or dataset loads; {@link runMain} exits 2 for it (the shell's usage error).
 */
export class UsageError extends ActpatError {}

/**
 * Runs a task's main function; an ActpatError prints its message alone and exits 1 (a {@link UsageError}
 * exits 2), anything else prints its stack and exits 1.
 */
export async function runMain(main: () => Promise<void> | void): Promise<void> {
  try {
    await main();
  } catch (err) {
    if (err instanceof ActpatError) {
      console.error(`error: ${err.message}`);
    } else {
      console.error(err);
    }
    Deno.exit(err instanceof UsageError ? 2 : 1);
  }
}
