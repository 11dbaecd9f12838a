/**
 * Per-pair similarities of the STS experiment (sts.ts): the paper's activation similarity of the two
 * sentences of a pair at each decoder layer, each sentence fed alone, and the hidden-state baselines
 * (hidden_similarity.ts) on the same pairs.
 */
import { LINEAR_MODULES, linearWeightName } from "../../model/llama_config.ts";
import type { LlamaRunner } from "../../model/llama/llama_runner.ts";
import { ActpatError } from "../../util/errors.ts";
import { progress } from "../../util/progress.ts";
import { hiddenStateSimilarities, type TokenPair } from "./hidden_similarity.ts";

/** Per pair (draw order) and per layer (in the order of `layers`) similarity of every measure. */
export interface PairSimilarities {
  layers: number[];
  activation: number[][];
  hidden_mean: number[][];
  hidden_last: number[][];
}

/** The per-matrix sums the runner returns for one pair: Σ|v_a v_b|, Σv_a², Σv_b². */
export interface MatrixSums {
  dot: number;
  aa: number;
  bb: number;
}

/**
 * A layer's activation similarity from its matrices' sums: the concatenation of the matrices is one vector,
 * so Σ|v_a v_b| / (‖v_a‖ ‖v_b‖) = Σ_m dot_m / sqrt(Σ_m aa_m · Σ_m bb_m).
 */
export function layerActivationSimilarity(sums: readonly MatrixSums[]): number {
  let dot = 0, aa = 0, bb = 0;
  for (const s of sums) {
    dot += s.dot;
    aa += s.aa;
    bb += s.bb;
  }
  if (!(aa > 0 && bb > 0)) {
    throw new ActpatError(
      "compute an activation similarity",
      "W ⊙ ∂y/∂W of one sentence is zero over the layer",
    );
  }
  return dot / (Math.sqrt(aa) * Math.sqrt(bb));
}

/** Options of {@link activationSimilarities} and {@link pairSimilarities}. */
export interface PairSimilarityOptions {
  /** Decoder layers, ascending, each once. */
  layers: readonly number[];
  /** Pairs per graph call (default 8). */
  batchPairs?: number;
  /** Left out of the hidden-state means when it starts a sentence (usually the tokenizer's BOS). */
  bosTokenId?: number | null;
  /** Progress label prefix; undefined silences progress output. */
  progressLabel?: string;
}

/** Per pair and layer activation similarity, each sentence fed alone, `batchPairs` pairs per graph call. */
export async function activationSimilarities(
  runner: LlamaRunner,
  pairs: readonly TokenPair[],
  opts: PairSimilarityOptions & { onPairs?: (n: number) => void },
): Promise<number[][]> {
  const batchPairs = opts.batchPairs ?? 8;
  const out: number[][] = [];
  for (let start = 0; start < pairs.length; start += batchPairs) {
    const batch = pairs.slice(start, start + batchPairs);
    const res = await runner.activationGradients(batch.flatMap((p) => [p.a, p.b]), {
      density: false,
      similarity: true,
      layers: opts.layers,
    });
    for (let p = 0; p < batch.length; p++) {
      out.push(
        opts.layers.map((l) =>
          layerActivationSimilarity(
            LINEAR_MODULES.map((m) => res.similarity!.get(linearWeightName(l, m))![p]),
          )
        ),
      );
    }
    opts.onPairs?.(batch.length);
  }
  return out;
}

/** Activation similarity and both hidden-state baselines of every pair at every layer of `layers`. */
export async function pairSimilarities(
  runner: LlamaRunner,
  pairs: readonly TokenPair[],
  opts: PairSimilarityOptions,
): Promise<PairSimilarities> {
  const layers = [...opts.layers];
  const quiet = opts.progressLabel === undefined;
  const act = progress(`${opts.progressLabel ?? ""} activation similarity`, pairs.length, {
    unit: "pairs",
    quiet,
  });
  const activation = await activationSimilarities(runner, pairs, { ...opts, onPairs: (n) => act.tick(n) });
  act.done();
  const deepest = Math.max(...layers) + 1;
  const hid = progress(`${opts.progressLabel ?? ""} hidden states`, deepest, { unit: "layers", quiet });
  let done = 0;
  const hidden = await hiddenStateSimilarities(runner, pairs, {
    layers,
    batchPairs: opts.batchPairs,
    bosTokenId: opts.bosTokenId,
    onLayer: (n) => {
      hid.tick(n - done);
      done = n;
    },
  });
  hid.done();
  return {
    layers,
    activation,
    hidden_mean: hidden.mean.map((r) => Array.from(r)),
    hidden_last: hidden.last.map((r) => Array.from(r)),
  };
}
