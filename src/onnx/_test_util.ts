/** Helpers shared by the engine's tests: run a graph on host data, seeded random numbers, dim evaluation. */
import type { Dim, Graph } from "./graph.ts";
import { serializeGraph } from "./serialize.ts";
import { createSession, type HostTensor, runSession } from "./session.ts";

/** Serializes and runs `g` on CPU. */
export async function runGraph(
  g: Graph,
  feeds: Record<string, HostTensor>,
): Promise<Record<string, HostTensor>> {
  const session = await createSession(serializeGraph(g), { ep: "cpu", threads: 1 });
  try {
    return await runSession(session, feeds);
  } finally {
    await session.release();
  }
}

/** A seeded uniform generator on [lo, hi) (mulberry32). */
export function rng(seed: number): (lo?: number, hi?: number) => number {
  let s = seed >>> 0;
  return (lo = -1, hi = 1) => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  };
}

/** Random float64 data of `n` elements. */
export function randomF64(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: n }, () => r(lo, hi));
}

/** Evaluates a (possibly symbolic: `a*b`, `T-1`, `(a+2*b)`) dim under concrete symbol values. */
export function evalDim(d: Dim, env: Record<string, number>): number {
  if (typeof d === "number") return d;
  const expr = d.replace(/[A-Za-z_][A-Za-z_0-9.]*/g, (s) => String(env[s] ?? NaN));
  if (!/^[-+*()0-9. ]+$/.test(expr)) return NaN;
  return Function(`"use strict"; return (${expr});`)() as number;
}

/** Asserts that `fn` throws an error whose message contains `text`. */
export function assertThrowsMsg(fn: () => unknown, text: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  if (!(caught instanceof Error)) {
    throw new Error(`expected an error containing "${text}", nothing was thrown`);
  }
  if (!caught.message.includes(text)) {
    throw new Error(`expected an error containing "${text}", got: ${caught.message}`);
  }
}

/** Async variant of {@link assertThrowsMsg}. */
export async function assertRejectsMsg(fn: () => Promise<unknown>, text: string): Promise<void> {
  let caught: unknown;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  if (!(caught instanceof Error)) {
    throw new Error(`expected an error containing "${text}", nothing was thrown`);
  }
  if (!caught.message.includes(text)) {
    throw new Error(`expected an error containing "${text}", got: ${caught.message}`);
  }
}
