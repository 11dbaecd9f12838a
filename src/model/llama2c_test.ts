import assert from "node:assert/strict";
import { join } from "node:path";
import { STORIES_BIN, STORIES_HF } from "../../test/fixtures/mirror.ts";
import { tempDir } from "../../test/fixtures/temp_dir.ts";
import { llama2cConfig, loadLlama2c, pairsToRotateHalf, readLlama2cHeader } from "./llama2c.ts";
import { readConfig } from "./parse_config.ts";
import { openCheckpointWeights } from "./safetensors.ts";

Deno.test(
  "stories260K via llama2.c and via stories260K-hf give the same config and identical tensors",
  async () => {
    const bin = await loadLlama2c(STORIES_BIN);
    const hfConfig = await readConfig(STORIES_HF);
    assert.deepEqual(bin.config, hfConfig);
    const { store: hf } = await openCheckpointWeights(STORIES_HF);
    assert.deepEqual([...bin.weights.names()].sort(), [...hf.names()].sort());
    for (const name of hf.names()) {
      assert.deepEqual(bin.weights.get(name).shape, hf.get(name).shape, name);
      // Exact: the conversion only moves float32 values.
      assert.deepEqual(await bin.weights.readFloat32(name), await hf.readFloat32(name), name);
    }
  },
);

Deno.test("readLlama2cHeader reads the stories260K header", async () => {
  assert.deepEqual(await readLlama2cHeader(STORIES_BIN), {
    dim: 64,
    hiddenDim: 172,
    nLayers: 5,
    nHeads: 8,
    nKvHeads: 4,
    vocabSize: 512,
    sharedClassifier: true,
    seqLen: 512,
  });
});

Deno.test("pairsToRotateHalf matches transformers' view/transpose/reshape on a labelled matrix", () => {
  // 2 heads of dim 4, 1 column: rows labelled by index. Head 0 rows (0,1,2,3) = pairs (0,1),(2,3) → (0,2,1,3).
  const w = Float32Array.from({ length: 8 }, (_, i) => i);
  assert.deepEqual(Array.from(pairsToRotateHalf(w, 2, 4, 1)), [0, 2, 1, 3, 4, 6, 5, 7]);
  // Two columns keep rows together.
  const w2 = Float32Array.from({ length: 8 }, (_, i) => i);
  assert.deepEqual(Array.from(pairsToRotateHalf(w2, 1, 4, 2)), [0, 1, 4, 5, 2, 3, 6, 7]);
});

Deno.test("loadLlama2c reads a separate classifier when vocab_size is negative", async () => {
  await using tmp = await tempDir();
  const [dim, hidden, layers, heads, kv, vocab, seq] = [4, 6, 1, 2, 1, 5, 3];
  const headDim = dim / heads;
  const floats = vocab * dim +
    layers * (dim + dim * dim + 2 * kv * headDim * dim + dim * dim + dim + 3 * hidden * dim) +
    dim + 2 * seq * headDim / 2 + vocab * dim;
  const buf = new ArrayBuffer(28 + 4 * floats);
  new Int32Array(buf, 0, 7).set([dim, hidden, layers, heads, kv, -vocab, seq]);
  const values = new Float32Array(buf, 28);
  values.forEach((_, i) => (values[i] = i));
  const path = join(tmp.path, "m.bin");
  await Deno.writeFile(path, new Uint8Array(buf));
  const { config, weights } = await loadLlama2c(path);
  assert.equal(config.tieWordEmbeddings, false);
  const head = await weights.readFloat32("lm_head.weight");
  // The classifier is the last vocab × dim floats of the file.
  assert.deepEqual(head, values.slice(floats - vocab * dim));
  assert.deepEqual(weights.get("lm_head.weight").shape, [vocab, dim]);
});

Deno.test("loadLlama2c refuses truncated, foreign and versioned files", async () => {
  await using tmp = await tempDir();
  const path = join(tmp.path, "m.bin");
  const full = await Deno.readFile(STORIES_BIN);
  await Deno.writeFile(path, full.subarray(0, full.length - 4));
  await assert.rejects(loadLlama2c(path), {
    message: `Cannot load model: ${path} is 1056536 bytes but its llama2.c header (dim 64, hidden_dim 172, ` +
      "5 layers, 4 kv heads, vocab 512, seq_len 512) implies 1056540",
  });
  await Deno.writeFile(path, full.subarray(0, 10));
  await assert.rejects(loadLlama2c(path), {
    message: `Cannot load model: ${path} is 10 bytes, too short for a llama2.c header`,
  });
  await Deno.writeTextFile(path, "this is a text file, not a checkpoint at all");
  await assert.rejects(
    loadLlama2c(path),
    /^ActpatError: Cannot load model: .* does not start with a valid llama2\.c header/,
  );
  const versioned = new Uint8Array(256);
  new DataView(versioned.buffer).setUint32(0, 0x616b3432, true);
  new DataView(versioned.buffer).setInt32(4, 1, true);
  await Deno.writeFile(path, versioned);
  await assert.rejects(loadLlama2c(path), {
    message:
      `Cannot load model: ${path} is a versioned llama2.c export (version 1); only the legacy format is supported`,
  });
  await assert.rejects(loadLlama2c(join(tmp.path, "absent.bin")), {
    message: `Cannot load model: ${join(tmp.path, "absent.bin")}: no such file`,
  });
});

Deno.test("llama2cConfig uses run.c's constants", () => {
  const c = llama2cConfig({
    dim: 288,
    hiddenDim: 768,
    nLayers: 6,
    nHeads: 6,
    nKvHeads: 6,
    vocabSize: 32000,
    sharedClassifier: true,
    seqLen: 256,
  });
  assert.deepEqual([c.headDim, c.rmsNormEps, c.ropeTheta, c.bosTokenId, c.eosTokenId], [
    48,
    1e-5,
    10000,
    1,
    2,
  ]);
});
