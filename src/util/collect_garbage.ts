/**
 * Explicit garbage collection between large onnxruntime runs. onnxruntime-node copies every output into a
 * fresh ArrayBuffer, and V8 frees a dropped one only at its next major collection, which this external memory
 * does not trigger soon enough: with weight-sized outputs (density sums, 0.8 GB per Llama-2-7B layer), each
 * run would otherwise add the previous run's dropped outputs to the peak. The tasks that make such outputs run
 * with `--v8-flags=--expose-gc` (deno.json); elsewhere this does nothing.
 */
const gc = (globalThis as unknown as { gc?: () => void }).gc;

/** Runs a full V8 collection when the process was started with `--expose-gc`; reports whether it could. */
export function collectGarbage(): boolean {
  if (!gc) return false;
  gc();
  return true;
}
