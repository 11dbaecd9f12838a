/**
 * Sequential layer pruning, as locuslab/wanda `lib/prune.py` `prune_wanda` (and `prune_magnitude`):
 *
 * 1. the calibration sequences are embedded (layer 0's input);
 * 2. for each decoder layer in order: one pass through the still-dense block collects Σx² per input column
 *    of every linear (the seven linears read four distinct inputs), scaler_row = Σ / nsamples; the seven
 *    masks are computed from the dense weights and these statistics and applied;
 * 3. the now pruned block is run again on the same inputs, and its outputs are the next layer's inputs
 *    (wanda recomputes `outs` after pruning), so layer i is calibrated on the outputs of pruned layers < i.
 *
 * Pruned matrices go into an {@link OverlayWeightStore} over the original checkpoint; only they are held in
 * memory, and an `onLayer` hook may move each layer to disk as soon as it is done. Magnitude pruning needs no
 * calibration. OWL's outlier ratios come from the same statistics on the dense model ({@link owlOutlierRatios},
 * luuyin/OWL `lib/prune_all.py` `prune_wanda_outlier`, first loop).
 */
import {
  LINEAR_INPUT_OF,
  type LinearInput,
  type LlamaModel,
  LlamaRunner,
  type LlamaRunOptions,
} from "../../model/llama/mod.ts";
import {
  LINEAR_MODULES,
  type LinearModule,
  linearShape,
  linearWeightName,
} from "../../model/llama_config.ts";
import type { HostTensor } from "../../onnx/mod.ts";
import { type OverlayWeightStore, overlayWeightStore } from "../../model/overlay_weights.ts";
import { ActpatError } from "../../util/errors.ts";
import { progress } from "../../util/progress.ts";
import { type WandaLinear, wandaOutlierRatio } from "./layer_allocation.ts";
import { magnitudeMask } from "./magnitude_mask.ts";
import { applyMask, type PrunePattern } from "./mask.ts";
import { wandaMask } from "./wanda_mask.ts";

/** Pruning scores: Wanda's |W|·sqrt(scaler_row) per output row, or magnitude |W| per matrix. */
export const PRUNE_METHODS = ["wanda", "magnitude"] as const;
export type PruneMethod = typeof PRUNE_METHODS[number];

/** Options of {@link pruneSequential}. */
export interface SequentialPruneOptions {
  method: PruneMethod;
  /** The pattern of each decoder layer (unstructured with that layer's sparsity, or N:M). */
  patterns: readonly PrunePattern[];
  /** Calibration token sequences (Wanda). */
  calibration?: readonly (readonly number[])[];
  /** Sequences per engine call (default 8). */
  batchSize?: number;
  run?: LlamaRunOptions;
  /**
   * Called when layer `layer` is pruned, before its outputs are recomputed: e.g. writes the layer to disk and
   * points the store at the file ({@link OverlayWeightStore.setFile}), so the memory copy is released.
   */
  onLayer?: (layer: number, store: OverlayWeightStore) => Promise<void> | void;
  /** Keep every mask (1 = pruned) in the result, by weight name (tests; small models). */
  keepMasks?: boolean;
  quiet?: boolean;
}

/** Outcome for one linear weight. */
export interface ModuleSparsity {
  layer: number;
  module: LinearModule;
  rows: number;
  cols: number;
  /** Target sparsity of the layer (N/M for N:M). */
  target: number;
  /** Weights the mask pruned. */
  pruned: number;
  /** Weights equal to zero after pruning (what wanda's `check_sparsity` counts). */
  zeros: number;
}

/** What {@link pruneSequential} returns. */
export interface PruneResult {
  /** The pruned model's weights: the original store with the pruned matrices replaced. */
  weights: OverlayWeightStore;
  modules: ModuleSparsity[];
  masks?: Map<string, Uint8Array>;
  /** Wanda: scaler_row of each layer's four linear inputs, as used for the masks. */
  scalerRows?: Record<LinearInput, Float32Array>[];
  seconds: number;
  /** Seconds per phase, over all layers: the statistics passes, the masks, `onLayer`, the output passes. */
  phases: { statistics: number; masks: number; onLayer: number; outputs: number };
}

/** Target sparsity a pattern stands for. */
export function patternSparsity(p: PrunePattern): number {
  return p.kind === "nm" ? p.n / p.m : p.sparsity;
}

interface Batch {
  hidden: HostTensor;
  mask: HostTensor;
}

/** Embeds the calibration sequences in batches (layer 0's inputs). */
async function embedBatches(
  runner: LlamaRunner,
  sequences: readonly (readonly number[])[],
  batchSize: number,
): Promise<Batch[]> {
  const out: Batch[] = [];
  for (let i = 0; i < sequences.length; i += batchSize) {
    out.push(await runner.embed(sequences.slice(i, i + batchSize)));
  }
  return out;
}

/**
 * One pass of decoder layer `layer` over the batches: Wanda's scaler_row per linear input (Σx² over real
 * tokens of all sequences / number of sequences, accumulated in float64, rounded to float32 like wanda's
 * float32 `scaler_row`) when `statistics`, and the layer's outputs when `outputs`.
 */
async function layerPass(
  runner: LlamaRunner,
  layer: number,
  batches: Batch[],
  nsamples: number,
  want: { statistics: boolean; outputs: boolean },
): Promise<{ scalerRows?: Record<LinearInput, Float32Array>; outputs?: Batch[] }> {
  const sums = {} as Record<LinearInput, Float64Array>;
  const outputs: Batch[] = [];
  for (const b of batches) {
    const out = await runner.decoderBlock(layer, b.hidden, b.mask, {
      hidden: want.outputs,
      statistics: want.statistics,
    });
    if (want.outputs) outputs.push({ hidden: out.hidden!, mask: b.mask });
    if (want.statistics) {
      for (const [input, s] of Object.entries(out.sumsq!) as [LinearInput, Float32Array | Float64Array][]) {
        const acc = sums[input] ??= new Float64Array(s.length);
        for (let j = 0; j < s.length; j++) acc[j] += s[j];
      }
    }
  }
  // The block's weights may change before the next pass over this layer: drop its sessions.
  await runner.releaseLayer(layer);
  const result: { scalerRows?: Record<LinearInput, Float32Array>; outputs?: Batch[] } = {};
  if (want.outputs) result.outputs = outputs;
  if (want.statistics) {
    result.scalerRows = Object.fromEntries(
      Object.entries(sums).map(([k, s]) => [k, Float32Array.from(s, (v) => v / nsamples)]),
    ) as Record<LinearInput, Float32Array>;
  }
  return result;
}

function checkOptions(model: LlamaModel, options: SequentialPruneOptions): void {
  const L = model.config.numLayers;
  if (options.patterns.length !== L) {
    throw new ActpatError("prune", `${options.patterns.length} layer patterns for a model of ${L} layers`);
  }
  if (options.method === "wanda" && (!options.calibration || options.calibration.length === 0)) {
    throw new ActpatError("prune with Wanda", "no calibration sequences");
  }
  const bs = options.batchSize ?? 8;
  if (!Number.isInteger(bs) || bs < 1) {
    throw new ActpatError("prune", `batch size ${bs} is not a positive integer`);
  }
}

/**
 * Prunes the seven linear weights of every decoder layer, layer by layer (see the module comment). The
 * original store is not modified.
 */
export async function pruneSequential(
  model: LlamaModel,
  options: SequentialPruneOptions,
): Promise<PruneResult> {
  checkOptions(model, options);
  const t0 = performance.now();
  const { config } = model;
  const L = config.numLayers;
  const store = overlayWeightStore(model.weights);
  const runner = new LlamaRunner({ config, weights: store }, options.run ?? {});
  const modules: ModuleSparsity[] = [];
  const masks = options.keepMasks ? new Map<string, Uint8Array>() : undefined;
  const scalerRows: Record<LinearInput, Float32Array>[] = [];
  const bar = progress(`prune (${options.method})`, L, { unit: "layers", quiet: options.quiet });
  const phases = { statistics: 0, masks: 0, onLayer: 0, outputs: 0 };
  try {
    const wanda = options.method === "wanda";
    const nsamples = options.calibration?.length ?? 0;
    let batches = wanda ? await embedBatches(runner, options.calibration!, options.batchSize ?? 8) : [];
    // The embedding table is not needed again: free its session (hundreds of MB for a 7B model).
    await runner.release();
    let mark = performance.now();
    const lap = (phase: keyof PruneResult["phases"]) => {
      const now = performance.now();
      phases[phase] += (now - mark) / 1000;
      mark = now;
    };
    for (let l = 0; l < L; l++) {
      const pattern = options.patterns[l];
      const stats = wanda
        ? (await layerPass(runner, l, batches, nsamples, { statistics: true, outputs: false })).scalerRows!
        : undefined;
      if (stats) scalerRows.push(stats);
      lap("statistics");
      for (const m of LINEAR_MODULES) {
        const name = linearWeightName(l, m);
        const [rows, cols] = linearShape(config, m);
        const w = await store.readFloat32(name);
        const mask = stats
          ? wandaMask(w, stats[LINEAR_INPUT_OF[m]], { rows, cols, pattern, name })
          : magnitudeMask(w, { rows, cols, pattern, name });
        applyMask(w, mask);
        let pruned = 0;
        for (let i = 0; i < mask.length; i++) pruned += mask[i];
        let zeros = 0;
        for (let i = 0; i < w.length; i++) if (w[i] === 0) zeros++;
        modules.push({ layer: l, module: m, rows, cols, target: patternSparsity(pattern), pruned, zeros });
        masks?.set(name, mask);
        store.setMemory(name, w);
      }
      lap("masks");
      await options.onLayer?.(l, store);
      lap("onLayer");
      // Wanda feeds the next layer with this layer's pruned outputs; the last layer's are not needed.
      if (wanda && l < L - 1) {
        batches = (await layerPass(runner, l, batches, nsamples, { statistics: false, outputs: true }))
          .outputs!;
      }
      lap("outputs");
      bar.tick();
    }
  } finally {
    await runner.release();
  }
  bar.done();
  return {
    weights: store,
    modules,
    ...(masks ? { masks } : {}),
    ...(options.method === "wanda" ? { scalerRows } : {}),
    seconds: (performance.now() - t0) / 1000,
    phases,
  };
}

/**
 * OWL's per-layer outlier ratios (luuyin/OWL `prune_wanda_outlier`, first loop): the calibration sequences
 * run through the dense model layer by layer; for each layer, the fraction of its seven linears' Wanda scores
 * |W|·sqrt(scaler_row) above `M` × their mean (OWL's `check_outlier_mean`, Hyper_m = 5).
 */
export async function owlOutlierRatios(
  model: LlamaModel,
  calibration: readonly (readonly number[])[],
  options: { M?: number; batchSize?: number; run?: LlamaRunOptions; quiet?: boolean } = {},
): Promise<number[]> {
  if (calibration.length === 0) {
    throw new ActpatError("compute OWL outlier ratios", "no calibration sequences");
  }
  const { config } = model;
  const runner = new LlamaRunner(model, options.run ?? {});
  const ratios: number[] = [];
  const bar = progress("OWL outlier ratios", config.numLayers, { unit: "layers", quiet: options.quiet });
  try {
    let batches = await embedBatches(runner, calibration, options.batchSize ?? 8);
    await runner.release();
    for (let l = 0; l < config.numLayers; l++) {
      // The model stays dense, so one pass gives both the statistics and the next layer's inputs.
      const pass = await layerPass(runner, l, batches, calibration.length, {
        statistics: true,
        outputs: true,
      });
      batches = pass.outputs!;
      const linears: WandaLinear[] = [];
      for (const m of LINEAR_MODULES) {
        const name = linearWeightName(l, m);
        const [rows, cols] = linearShape(config, m);
        linears.push({
          weight: await model.weights.readFloat32(name),
          scalerRow: pass.scalerRows![LINEAR_INPUT_OF[m]],
          rows,
          cols,
          name,
        });
      }
      ratios.push(wandaOutlierRatio(linears, options.M ?? 5));
      bar.tick();
    }
  } finally {
    await runner.release();
  }
  bar.done();
  return ratios;
}
