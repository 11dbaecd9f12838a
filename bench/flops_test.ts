import { deepStrictEqual as assertEquals } from "node:assert";
import { MODEL_SHAPES } from "../src/model/model_shapes.ts";
import { parseConfig } from "../src/model/parse_config.ts";
import { STORIES260K_CONFIG } from "../test/reference/stories260k.ts";
import { attentionFlops, linearParams, linearParamsPerLayer, suiteFlops } from "./flops.ts";

const llama2 = (layers: number) =>
  parseConfig({ ...MODEL_SHAPES["llama2-7b"], num_hidden_layers: layers }, "llama2-7b test config");

Deno.test("linear parameters match Llama-2-7B's published count", () => {
  // Meta's 6,738,415,616 parameters = 32 layers of linears + 2 norms each (2·4096) + embeddings and lm_head
  // (2·32000·4096) + the final norm (4096).
  const perLayer = linearParamsPerLayer(llama2(32));
  assertEquals(32 * (perLayer + 2 * 4096) + 2 * 32000 * 4096 + 4096, 6_738_415_616);
  assertEquals(linearParams(llama2(2)), 2 * perLayer);
});

/** Counts multiply-adds by listing every matrix product of one forward pass of one sample (independent). */
function forwardMacs(c: typeof STORIES260K_CONFIG, T: number, headRows: number): number {
  const q = c.numHeads * c.headDim, kv = c.numKvHeads * c.headDim;
  const products: [number, number, number][] = [
    [T, c.hiddenSize, q], // q_proj
    [T, c.hiddenSize, kv], // k_proj
    [T, c.hiddenSize, kv], // v_proj
    ...Array.from({ length: c.numHeads }, () => [T, c.headDim, T] as [number, number, number]), // Q·Kᵀ per head
    ...Array.from({ length: c.numHeads }, () => [T, T, c.headDim] as [number, number, number]), // P·V per head
    [T, q, c.hiddenSize], // o_proj
    [T, c.hiddenSize, c.intermediateSize], // gate
    [T, c.hiddenSize, c.intermediateSize], // up
    [T, c.intermediateSize, c.hiddenSize], // down
  ];
  const perLayer = products.reduce((s, [m, k, n]) => s + m * k * n, 0);
  return c.numLayers * perLayer + headRows * c.hiddenSize * c.vocabSize;
}

Deno.test("forward and eval counts equal an op-by-op enumeration (2 operations per multiply-add)", () => {
  for (const c of [STORIES260K_CONFIG, llama2(2)]) {
    for (const [B, T] of [[1, 7], [3, 128]]) {
      assertEquals(suiteFlops("forward", c, B, T), 2 * B * forwardMacs(c, T, 1));
      assertEquals(suiteFlops("eval", c, B, T), 2 * B * forwardMacs(c, T, T));
    }
  }
});

Deno.test("density is three forward passes' worth of products plus the element-wise terms", () => {
  const c = llama2(2);
  const [B, T] = [4, 256];
  const P = linearParams(c);
  const forwardLinear = 2 * P * B * T;
  const head = 2 * c.vocabSize * c.hiddenSize * B;
  assertEquals(
    suiteFlops("density", c, B, T),
    3 * forwardLinear + 3 * attentionFlops(c, B, T) + 2 * head + 3 * P * B,
  );
  // Wanda calibration adds Σx² over the four distinct linear inputs to the forward products.
  const widths = 2 * c.hiddenSize + c.numHeads * c.headDim + c.intermediateSize;
  assertEquals(
    suiteFlops("prune", c, B, T),
    forwardLinear + attentionFlops(c, B, T) + 2 * B * T * widths * c.numLayers,
  );
});
