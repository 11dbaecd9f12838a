/**
 * Test access to the stories260K checkpoint embedded in the repository (a copy of the hub mirror's), independent of `src/model`'s loaders: the
 * config is written out by hand from its `config.json` and the single float32 safetensors file is parsed
 * here, so the reference checks do not lean on the code they check.
 */
import type { LlamaConfig } from "../../src/model/llama_config.ts";
import { mirrorPath, STORIES_HF } from "../fixtures/mirror.ts";

export { mirrorPath };

/** stories260K's architecture, transcribed from `models/stories260K-hf/config.json`. */
export const STORIES260K_CONFIG: LlamaConfig = {
  family: "llama",
  hiddenSize: 64,
  intermediateSize: 172,
  numLayers: 5,
  numHeads: 8,
  numKvHeads: 4,
  headDim: 8,
  vocabSize: 512,
  rmsNormEps: 1e-5,
  ropeTheta: 10000,
  ropeScaling: null,
  maxPositionEmbeddings: 512,
  tieWordEmbeddings: true,
  qkvBias: false,
  bosTokenId: 1,
  eosTokenId: 2,
  torchDtype: "float32",
};

/** The reference greedy continuation (run.c, temperature 0, 64 tokens) documented in `SOURCE.md`. */
export const STORIES260K_GREEDY_64 =
  "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she " +
  "saw a big, red ball. She wanted to play with it, but it was too high.\nLily";

/** Reads the float32 safetensors file of stories260K-hf into float64 arrays by name. */
export async function readStories260K(): Promise<
  { config: LlamaConfig; weights: Map<string, Float64Array> }
> {
  // The embedded copy: byte for byte the mirror's models/stories260K-hf/model.safetensors.
  const bytes = await Deno.readFile(`${STORIES_HF}/model.safetensors`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const weights = new Map<string, Float64Array>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    if (entry.dtype !== "F32") throw new Error(`stories260K: ${name} is ${entry.dtype}, expected F32`);
    const [begin, end] = entry.data_offsets;
    const start = 8 + headerLength + begin;
    const data = new Float64Array((end - begin) / 4);
    for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(start + 4 * i, true);
    weights.set(name, data);
  }
  return { config: STORIES260K_CONFIG, weights };
}
