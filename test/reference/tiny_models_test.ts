import assert from "node:assert/strict";
import { bfloat16Bits, float16Bits } from "../../src/onnx/dtype.ts";
import { LINEAR_MODULES, linearShape, linearWeightName } from "../../src/model/llama_config.ts";
import { TINY_CONFIGS, tinyModel, writeSafetensors } from "./tiny_models.ts";

Deno.test("tiny models are seeded, complete and shaped as their configs say", () => {
  for (const name of Object.keys(TINY_CONFIGS)) {
    const a = tinyModel(name, 1);
    const b = tinyModel(name, 1);
    const c = tinyModel(name, 2);
    const q = linearWeightName(0, "q_proj");
    assert.deepEqual(a.weights.get(q), b.weights.get(q));
    assert.notDeepEqual(a.weights.get(q), c.weights.get(q));
    for (let l = 0; l < a.config.numLayers; l++) {
      for (const m of LINEAR_MODULES) {
        const t = a.store.get(linearWeightName(l, m));
        assert.deepEqual(t.shape, linearShape(a.config, m));
        assert.equal(a.weights.get(t.name)!.length, t.shape[0] * t.shape[1]);
      }
    }
    assert.equal(a.store.has("lm_head.weight"), !a.config.tieWordEmbeddings);
    assert.equal(a.store.has("model.layers.1.self_attn.k_proj.bias"), a.config.qkvBias);
  }
});

Deno.test("safetensors copies store exactly the same weights in F32, F16 and BF16", async () => {
  const { config, weights } = tinyModel("qkv_bias_gqa", 4);
  const dir = await Deno.makeTempDir();
  try {
    for (const dtype of ["F32", "F16", "BF16"] as const) {
      const sub = `${dir}/${dtype}`;
      await Deno.mkdir(sub);
      const store = await writeSafetensors(sub, weights, config, dtype);
      const bytes = await Deno.readFile(`${sub}/model.safetensors`);
      for (const name of store.names()) {
        const t = store.get(name);
        assert.equal(t.source.kind, "file");
        if (t.source.kind !== "file") continue;
        const original = weights.get(name)!;
        assert.deepEqual(Array.from(await store.readFloat32(name)), Array.from(original));
        // Bytes as the independent converters of src/onnx/dtype.ts produce them.
        const view = new DataView(bytes.buffer, t.source.offset, t.source.byteLength);
        for (let i = 0; i < original.length; i++) {
          if (dtype === "F32") assert.equal(view.getFloat32(4 * i, true), original[i]);
          else if (dtype === "F16") {
            assert.equal(view.getUint16(2 * i, true), float16Bits(Float32Array.of(original[i]))[0]);
          } else assert.equal(view.getUint16(2 * i, true), bfloat16Bits(Float32Array.of(original[i]))[0]);
        }
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
