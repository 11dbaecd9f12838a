import { EXIT_CODES } from "./exit_codes.ts";

/** Work to do before an interrupted process exits (mark a manifest, release a lock, say how to resume). */
export type InterruptHandler = (signal: Deno.Signal) => Promise<void> | void;

const handlers = new Set<InterruptHandler>();
const SIGNALS: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
let installed = false;
let stopping = false;

/**
 * Registers `handler` to run when the process gets SIGINT or SIGTERM; the process then exits with
 * {@link EXIT_CODES.interrupted} (130). Returns the function that unregisters it. While no handler is
 * registered the signals keep their default effect (the process ends at once). A second signal during the
 * handlers exits at once.
 */
export function onInterrupt(handler: InterruptHandler): () => void {
  handlers.add(handler);
  if (!installed) {
    for (const s of SIGNALS) Deno.addSignalListener(s, listeners[s]);
    installed = true;
  }
  return () => {
    handlers.delete(handler);
    if (handlers.size === 0 && installed && !stopping) {
      for (const s of SIGNALS) Deno.removeSignalListener(s, listeners[s]);
      installed = false;
    }
  };
}

const listeners = Object.fromEntries(SIGNALS.map((s) => [s, () => void interrupted(s)])) as Record<
  Deno.Signal,
  () => void
>;

async function interrupted(signal: Deno.Signal): Promise<void> {
  if (stopping) Deno.exit(EXIT_CODES.interrupted);
  stopping = true;
  // Newest first: an inner run is marked before the run that contains it.
  for (const h of [...handlers].reverse()) {
    try {
      await h(signal);
    } catch (err) {
      console.error(`while stopping: ${err instanceof Error ? err.message : err}`);
    }
  }
  Deno.exit(EXIT_CODES.interrupted);
}
