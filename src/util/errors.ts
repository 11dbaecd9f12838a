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

/** Runs a task's main function; an ActpatError prints its message alone and exits 1, anything else with its stack. */
export async function runMain(main: () => Promise<void> | void): Promise<void> {
  try {
    await main();
  } catch (err) {
    if (err instanceof ActpatError) {
      console.error(`error: ${err.message}`);
    } else {
      console.error(err);
    }
    Deno.exit(1);
  }
}
