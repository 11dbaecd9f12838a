/**
 * Hidden-state baselines of the STS experiment: how similar are the two sentences of a pair by the cosine
 * of their hidden states, layer by layer? Each sentence is fed alone (as for the activation similarity).
 * The hidden state of layer l is the output of decoder block l (the residual stream after it; for the last
 * layer, before the final norm), from `LlamaRunner.embed` and `decoderBlock` run layer by layer. Two poolings:
 *
 * - mean: the mean of the sentence's token states, leaving out a leading BOS token (its state is the same for
 *   every sentence and in real Llamas carries the massive activations, which would swamp the mean); a
 *   sentence that is BOS alone keeps it.
 * - last: the state of the last token (the position whose logits give the activation metric's y).
 */
import type { HostTensor } from "../../onnx/mod.ts";
import type { LlamaRunner } from "../../model/llama/llama_runner.ts";
import { ActpatError } from "../../util/errors.ts";

/** Two token sequences fed to the model one at a time. */
export interface TokenPair {
  a: readonly number[];
  b: readonly number[];
}

/** Per pair, per layer (in the order of the `layers` asked for) cosine similarities. */
export interface HiddenSimilarities {
  mean: Float64Array[];
  last: Float64Array[];
}

/** Options of {@link hiddenStateSimilarities}. */
export interface HiddenSimilarityOptions {
  /** Decoder layers whose output is compared (any order, each once). */
  layers: readonly number[];
  /** Pairs per forward batch (default 8). */
  batchPairs?: number;
  /** Token id left out of the mean when it starts a sentence (default none). */
  bosTokenId?: number | null;
  /** Called after each layer with the number of layers done. */
  onLayer?: (done: number) => void;
}

/** Cosine of two vectors; 0/0 (a zero vector) is an error, since the pair then has no defined similarity. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  if (aa === 0 || bb === 0) {
    throw new ActpatError("compute a cosine similarity", "one of the vectors is zero");
  }
  return dot / (Math.sqrt(aa) * Math.sqrt(bb));
}

/**
 * Mean (BOS left out, see the module doc) and last-token state of one sequence of a [B, T, d] batch.
 * `row` selects the sequence, `ids` are its tokens (its real length; the batch may be right-padded).
 */
export function poolHidden(
  hidden: HostTensor,
  row: number,
  ids: readonly number[],
  bosTokenId: number | null = null,
): { mean: Float64Array; last: Float64Array } {
  const [, T, d] = hidden.dims;
  const data = hidden.data as Float32Array | Float64Array;
  const n = ids.length;
  const skip = n > 1 && bosTokenId !== null && ids[0] === bosTokenId ? 1 : 0;
  const mean = new Float64Array(d);
  for (let t = skip; t < n; t++) {
    const base = (row * T + t) * d;
    for (let i = 0; i < d; i++) mean[i] += data[base + i];
  }
  for (let i = 0; i < d; i++) mean[i] /= n - skip;
  const lastBase = (row * T + n - 1) * d;
  return { mean, last: Float64Array.from(data.subarray(lastBase, lastBase + d)) };
}

/**
 * Cosine similarities of the mean-pooled and of the last-token hidden states of each pair at each of
 * `layers`. Runs layer-major over all batches, releasing each layer's session after it, so only one decoder
 * layer's weights are held at a time; the hidden states of every batch are kept meanwhile
 * (2 · pairs · tokens · hidden floats).
 */
export async function hiddenStateSimilarities(
  runner: LlamaRunner,
  pairs: readonly TokenPair[],
  opts: HiddenSimilarityOptions,
): Promise<HiddenSimilarities> {
  const numLayers = runner.model.config.numLayers;
  const layers = [...opts.layers];
  if (layers.length === 0 || new Set(layers).size !== layers.length) {
    throw new ActpatError(
      "compare hidden states",
      `layers [${layers.join(", ")}] must be distinct and non-empty`,
    );
  }
  for (const l of layers) {
    if (!Number.isInteger(l) || l < 0 || l >= numLayers) {
      throw new ActpatError("compare hidden states", `layer ${l} is outside [0, ${numLayers})`);
    }
  }
  const batchPairs = opts.batchPairs ?? 8;
  if (!Number.isInteger(batchPairs) || batchPairs < 1) {
    throw new ActpatError("compare hidden states", `batchPairs ${batchPairs} is not a positive integer`);
  }
  const column = new Map(layers.map((l, k) => [l, k]));
  const result: HiddenSimilarities = {
    mean: pairs.map(() => new Float64Array(layers.length)),
    last: pairs.map(() => new Float64Array(layers.length)),
  };
  const batches: { start: number; sequences: (readonly number[])[]; hidden: HostTensor; mask: HostTensor }[] =
    [];
  for (let start = 0; start < pairs.length; start += batchPairs) {
    const sequences = pairs.slice(start, start + batchPairs).flatMap((p) => [p.a, p.b]);
    batches.push({ start, sequences, ...(await runner.embed(sequences)) });
  }
  const deepest = Math.max(...layers);
  for (let l = 0; l <= deepest; l++) {
    for (const batch of batches) {
      const out = await runner.decoderBlock(l, batch.hidden, batch.mask, { hidden: true, statistics: false });
      batch.hidden = out.hidden!;
      const k = column.get(l);
      if (k === undefined) continue;
      for (let p = 0; p < batch.sequences.length / 2; p++) {
        const a = poolHidden(batch.hidden, 2 * p, batch.sequences[2 * p], opts.bosTokenId ?? null);
        const b = poolHidden(batch.hidden, 2 * p + 1, batch.sequences[2 * p + 1], opts.bosTokenId ?? null);
        result.mean[batch.start + p][k] = cosine(a.mean, b.mean);
        result.last[batch.start + p][k] = cosine(a.last, b.last);
      }
    }
    await runner.releaseLayer(l);
    opts.onLayer?.(l + 1);
  }
  return result;
}
