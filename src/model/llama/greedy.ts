/** Greedy decoding on top of {@link LlamaRunner}: the end-to-end check behind `deno task generate`. */
import type { LlamaRunner } from "./llama_runner.ts";

/** Options of {@link greedyGenerate}. */
export interface GreedyOptions {
  /** Generation stops after producing one of these (it is included in the result). */
  stopTokens?: readonly number[];
  /** Called with each new token as it is chosen. */
  onToken?: (id: number) => void;
}

/** Index of the largest value (the first one on ties, as argmax conventionally does). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/**
 * Extends `prompt` by up to `maxNewTokens` tokens, each the argmax of the next-token logits given everything
 * so far; returns the new tokens only. Recomputes the whole prefix each step (no KV cache): this is a
 * correctness check, not a serving path.
 */
export async function greedyGenerate(
  runner: LlamaRunner,
  prompt: readonly number[],
  maxNewTokens: number,
  opts: GreedyOptions = {},
): Promise<number[]> {
  const ids = [...prompt];
  const out: number[] = [];
  const stop = new Set(opts.stopTokens ?? []);
  for (let i = 0; i < maxNewTokens; i++) {
    const [logits] = await runner.lastLogits([ids]);
    const next = argmax(logits);
    ids.push(next);
    out.push(next);
    opts.onToken?.(next);
    if (stop.has(next)) break;
  }
  return out;
}
