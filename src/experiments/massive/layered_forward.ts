/**
 * The causal LM one decoder block at a time (`LlamaRunner.embed`, `decoderBlock`, `headLogProbs`), so the
 * residual stream after each block can be read (the analysis) or edited before the next block runs (the
 * intervention). Equal to the causal LM graph up to float rounding (layered_forward_test.ts).
 */
import type { HostTensor } from "../../onnx/mod.ts";
import type { LlamaRunner } from "../../model/llama/llama_runner.ts";

/** Runs decoder blocks `from` .. `to − 1` on `hidden` and returns the last block's output. */
export async function runBlocks(
  runner: LlamaRunner,
  hidden: HostTensor,
  mask: HostTensor,
  from: number,
  to: number,
): Promise<HostTensor> {
  let h = hidden;
  for (let l = from; l < to; l++) {
    h = (await runner.decoderBlock(l, h, mask, { hidden: true, statistics: false })).hidden!;
  }
  return h;
}

/**
 * Embeds `sequences` (right-padded) and calls `onLayer(l, hidden)` with the output of every decoder block
 * in turn, hidden [B, T, hidden] in float32 (float64 for float64 runs). With `attention`, each block also
 * gives `keyMass` [B, heads, T]: the attention each key receives, summed over real queries
 * (`LlamaRunner.decoderBlockAttention`).
 */
export async function forEachLayer(
  runner: LlamaRunner,
  sequences: readonly (readonly number[])[],
  onLayer: (layer: number, hidden: HostTensor, keyMass?: HostTensor) => void | Promise<void>,
  options: { attention?: boolean } = {},
): Promise<void> {
  const { hidden: h0, mask } = await runner.embed(sequences);
  let h = h0;
  for (let l = 0; l < runner.model.config.numLayers; l++) {
    if (options.attention) {
      const out = await runner.decoderBlockAttention(l, h, mask);
      h = out.hidden;
      await onLayer(l, h, out.keyMass);
    } else {
      h = await runBlocks(runner, h, mask, l, l + 1);
      await onLayer(l, h);
    }
  }
}

/** A copy of a host tensor (its data array duplicated), to edit without touching the original. */
export function cloneTensor(t: HostTensor): HostTensor {
  return { dtype: t.dtype, dims: [...t.dims], data: t.data.slice() };
}
