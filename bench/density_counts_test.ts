import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
import { LINEAR_MODULES, linearShape, linearWeightName } from "../src/model/llama_config.ts";
import { STORIES260K_CONFIG } from "../test/reference/stories260k.ts";
import { mulberry32 } from "../test/fixtures/random.ts";
import { DensityAccumulator } from "./density_counts.ts";

const config = STORIES260K_CONFIG;

function batchSums(seed: number): Map<string, Float32Array> {
  const rnd = mulberry32(seed);
  const out = new Map<string, Float32Array>();
  for (let l = 0; l < config.numLayers; l++) {
    for (const m of LINEAR_MODULES) {
      const [o, i] = linearShape(config, m);
      out.set(linearWeightName(l, m), Float32Array.from({ length: o * i }, () => rnd() * 1e-3));
    }
  }
  return out;
}

Deno.test("counts, sums and quantile thresholds equal a plain float64 recomputation", () => {
  const batches = [batchSums(1), batchSums(2), batchSums(3)];
  const sizes = [4, 4, 2];
  // Copies: the accumulator takes ownership of the first batch's arrays.
  const copies = batches.map((b) => new Map([...b].map(([k, v]) => [k, Float64Array.from(v)])));
  const acc = new DensityAccumulator(config);
  batches.forEach((b, i) => acc.add(b, sizes[i]));
  assertEquals(acc.samples, 10);

  const means = (l: number) =>
    LINEAR_MODULES.flatMap((m) => {
      const name = linearWeightName(l, m);
      const parts = copies.map((c) => c.get(name)!);
      return Array.from(parts[0], (_, k) => (parts[0][k] + parts[1][k] + parts[2][k]) / 10);
    });
  const all = Array.from({ length: config.numLayers }, (_, l) => means(l));
  const gammas = acc.quantileGammas([0.1, 0.5, 0.9]);
  const sorted = all.flat().sort((a, b) => a - b);
  gammas.forEach((g, i) => {
    // The subsample is every parameter here (fewer than 2^20); float32 sums shift a quantile by rounding only.
    const exact = sorted[Math.floor([0.1, 0.5, 0.9][i] * sorted.length)];
    assert(Math.abs(g - exact) <= 1e-6 * exact, `quantile ${i}: ${g} vs ${exact}`);
  });
  const counts = acc.layerCounts([0, ...gammas]);
  const sums = acc.layerSums();
  all.forEach((m, l) => {
    assertEquals(counts[l][0], m.length);
    for (let g = 0; g < gammas.length; g++) {
      const exact = m.filter((v) => v > gammas[g]).length;
      // Means within float32 rounding of γ may land on either side: allow a handful per layer.
      assert(Math.abs(counts[l][g + 1] - exact) <= 3, `layer ${l} γ${g}: ${counts[l][g + 1]} vs ${exact}`);
    }
    const exactSum = m.reduce((a, b) => a + b, 0);
    assert(Math.abs(sums[l] - exactSum) <= 1e-6 * exactSum, `layer ${l} sum ${sums[l]} vs ${exactSum}`);
  });
});

Deno.test("a batch missing a weight or of another size is refused", () => {
  const acc = new DensityAccumulator(config);
  const b = batchSums(4);
  b.delete(linearWeightName(2, "up_proj"));
  try {
    acc.add(b, 1);
    assert(false, "no error");
  } catch (err) {
    assert((err as Error).message.includes("model.layers.2.mlp.up_proj.weight"));
  }
  const full = batchSums(5);
  acc.add(full, 1);
  const short = batchSums(6);
  short.set(linearWeightName(0, "q_proj"), new Float32Array(3));
  try {
    acc.add(short, 1);
    assert(false, "no error");
  } catch (err) {
    assert((err as Error).message.includes("has 3 values"));
  }
});
