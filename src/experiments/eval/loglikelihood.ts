/**
 * lm-evaluation-harness `loglikelihood` requests on the engine (lm_eval/models/huggingface.py `HFLM`):
 *
 * - `_encode_pair`: trailing whitespace of the context moves to the continuation; the continuation's tokens
 *   are those of `encode(context + continuation)` after the first `len(encode(context))`;
 * - `tok_encode` adds no BOS for causal models (`add_special_tokens=False` unless `add_bos_token`);
 * - `_loglikelihood_tokens`: input = (context + continuation)[-(max_length + 1):][:-1], log-likelihood =
 *   Σ log p(continuation token | prefix) over the continuation's positions.
 *
 * Requests are batched: right-padded, one causal LM run per batch, sorted by length so batches pad little.
 * Requests with equal inputs — choices that share a context and differ only in their final token, e.g. MMLU's
 * " A" … " D" — share one run: the log-probabilities of the input's own tokens come from the graph, the final
 * token's from the log-softmax of the last logits, computed here in float64 (the graph computes it in the
 * compute dtype; the two agree to float32 rounding).
 */
import type { LlamaRunner } from "../../model/llama/mod.ts";
import type { Tokenizer } from "../../model/tokenizer.ts";
import { ActpatError } from "../../util/errors.ts";
import type { Progress } from "../../util/progress.ts";

/** Context and continuation token ids of one request. */
export interface EncodedPair {
  context: number[];
  continuation: number[];
}

/** lm-eval's `_encode_pair`. */
export function encodePair(
  tokenizer: Pick<Tokenizer, "encode">,
  context: string,
  continuation: string,
  options: { addBos?: boolean } = {},
): EncodedPair {
  const addBos = options.addBos ?? false;
  const kept = context.trimEnd();
  if (kept.length < context.length) {
    continuation = context.slice(kept.length) + continuation;
    context = kept;
  }
  const whole = tokenizer.encode(context + continuation, { addBos });
  const ctx = tokenizer.encode(context, { addBos });
  return { context: ctx, continuation: whole.slice(ctx.length) };
}

/** Batching limits. */
export interface BatchLimits {
  /** Sequences per run (default 16). */
  batchSize?: number;
  /** Padded tokens per run, B × longest (default 8192); a longer sequence runs alone. */
  batchTokens?: number;
}

/** Options of {@link loglikelihoods}. */
export interface LoglikelihoodOptions extends BatchLimits {
  /** Longest input (lm-eval `max_length`); longer requests lose tokens on the left. */
  maxLength: number;
  progress?: Progress;
}

/** Groups of indices into batches of sequences sorted by length, longest first, within the limits. */
export function batchesByLength(lengths: readonly number[], limits: BatchLimits = {}): number[][] {
  const batchSize = limits.batchSize ?? 16;
  const batchTokens = limits.batchTokens ?? 8192;
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[b] - lengths[a] || a - b);
  const out: number[][] = [];
  let cur: number[] = [];
  for (const i of order) {
    // Sorted longest first, so the batch's first sequence sets its padded length.
    const longest = cur.length > 0 ? lengths[cur[0]] : lengths[i];
    if (cur.length > 0 && (cur.length >= batchSize || (cur.length + 1) * longest > batchTokens)) {
      out.push(cur);
      cur = [];
    }
    cur.push(i);
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** log softmax(logits)[id], in float64. */
function logSoftmaxAt(logits: ArrayLike<number>, id: number): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  return logits[id] - max - Math.log(sum);
}

/** Summed log-likelihood of each request's continuation given its context (lm-eval semantics). */
export async function loglikelihoods(
  runner: LlamaRunner,
  requests: readonly EncodedPair[],
  options: LoglikelihoodOptions,
): Promise<number[]> {
  const { maxLength } = options;
  const out = new Array<number>(requests.length).fill(NaN);
  const groups = new Map<
    string,
    { input: number[]; targets: number[]; members: { request: number; last: number; n: number }[] }
  >();
  requests.forEach((r, i) => {
    if (r.continuation.length === 0) {
      throw new ActpatError("score a continuation", `request ${i} has a continuation of no tokens`);
    }
    const whole = [...r.context, ...r.continuation].slice(-(maxLength + 1));
    if (whole.length < 2) {
      throw new ActpatError("score a continuation", `request ${i} has no context token (an empty context)`);
    }
    const input = whole.slice(0, -1);
    const key = input.join(",");
    let g = groups.get(key);
    if (!g) groups.set(key, g = { input, targets: whole.slice(1), members: [] });
    // Continuation tokens before the last are the input's own (equal for every member of the group).
    g.members.push({
      request: i,
      last: whole[whole.length - 1],
      n: Math.min(r.continuation.length, input.length),
    });
  });
  const list = [...groups.values()];
  for (const batch of batchesByLength(list.map((g) => g.input.length), options)) {
    const { logProbs, lastLogits } = await runner.logProbsAndLastLogits(
      batch.map((b) => list[b].input),
      batch.map((b) => list[b].targets),
    );
    batch.forEach((b, k) => {
      const { input, members } = list[b];
      for (const m of members) {
        let sum = logSoftmaxAt(lastLogits[k], m.last);
        for (let t = input.length - m.n; t < input.length - 1; t++) sum += logProbs[k][t];
        out[m.request] = sum;
      }
      options.progress?.tick(members.length);
    });
  }
  return out;
}

/** Last-position logits of every sequence, batched by length (the paper's last-token scoring). */
export async function lastLogitsBatched(
  runner: LlamaRunner,
  sequences: readonly (readonly number[])[],
  options: BatchLimits & { progress?: Progress } = {},
): Promise<(Float32Array | Float64Array)[]> {
  const out = new Array<Float32Array | Float64Array>(sequences.length);
  for (const batch of batchesByLength(sequences.map((s) => s.length), options)) {
    const last = await runner.lastLogits(batch.map((i) => sequences[i]));
    batch.forEach((i, k) => out[i] = last[k]);
    options.progress?.tick(batch.length);
  }
  return out;
}
