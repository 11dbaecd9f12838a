/** Layer groups: the activation experiments score `layerGroup` decoder layers per pass over the samples. */
import { LINEAR_MODULES, linearShape, type LlamaConfig } from "../../model/llama_config.ts";
import { ActpatError } from "../../util/errors.ts";

/** Consecutive groups of `size` layers out of `layers` (the last may be smaller); all at once when undefined. */
export function layerGroups(layers: readonly number[], size: number | undefined): number[][] {
  const k = size ?? layers.length;
  if (!Number.isInteger(k) || k < 1) {
    throw new ActpatError("group layers", `group size ${size} is not a positive integer`);
  }
  const out: number[][] = [];
  for (let i = 0; i < layers.length; i += k) out.push(layers.slice(i, i + k));
  return out;
}

/** `a-b` (or `a`) naming a group of consecutive layers in stage and file names. */
export function groupLabel(layers: readonly number[]): string {
  return layers.length === 1 ? `${layers[0]}` : `${layers[0]}-${layers[layers.length - 1]}`;
}

/** Parameters of the 7 linear weights of one decoder layer. */
export function layerLinearParams(config: LlamaConfig): number {
  return LINEAR_MODULES.reduce((s, m) => s + linearShape(config, m).reduce((a, b) => a * b, 1), 0);
}
