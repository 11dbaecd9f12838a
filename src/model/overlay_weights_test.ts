import assert from "node:assert/strict";
import { join } from "node:path";
import { tinyModel } from "../../test/reference/tiny_models.ts";
import { tempDir } from "../../test/fixtures/temp_dir.ts";
import { overlayWeightStore } from "./overlay_weights.ts";
import { readSafetensorsHeader } from "./safetensors.ts";
import { writeSafetensors } from "./safetensors_writer.ts";

const NAME = "model.layers.0.self_attn.q_proj.weight";

Deno.test("overlay store: replaced tensors come from memory or a file, the rest and the base are untouched", async () => {
  await using tmp = await tempDir();
  const { store: base } = tinyModel("mha_tied", 3);
  const original = await base.readFloat32(NAME);
  const overlay = overlayWeightStore(base);
  assert.deepEqual(overlay.names(), base.names());
  assert.deepEqual(overlay.replaced(), []);

  const pruned = original.map((x, i) => i % 2 === 0 ? 0 : x);
  overlay.setMemory(NAME, pruned);
  assert.deepEqual(await overlay.readFloat32(NAME), pruned);
  assert.equal(overlay.get(NAME).source.kind, "memory");
  assert.deepEqual(overlay.get(NAME).shape, base.get(NAME).shape);
  assert.deepEqual(await base.readFloat32(NAME), original, "base unchanged");
  const other = "model.layers.0.mlp.up_proj.weight";
  assert.equal(overlay.get(other), base.get(other));

  // Moved to a file (F16: the grid values of tiny models are exact in it), the memory copy is dropped.
  const path = join(tmp.path, "shard.safetensors");
  await writeSafetensors(path, [{ name: NAME, shape: base.get(NAME).shape, dtype: "F16", data: pruned }], {
    quiet: true,
  });
  const [t] = (await readSafetensorsHeader(path)).tensors;
  assert(t.source.kind === "file");
  overlay.setFile(NAME, t.source, "F16");
  assert.equal(overlay.get(NAME).source.kind, "file");
  assert.equal(overlay.get(NAME).dtype, "F16");
  assert.deepEqual(await overlay.readFloat32(NAME), pruned);
  assert.deepEqual(overlay.replaced(), [NAME]);
});

Deno.test("overlay store: wrong sizes and unknown names are refused", () => {
  const { store } = tinyModel("mha_tied", 3);
  const overlay = overlayWeightStore(store);
  assert.throws(
    () => overlay.setMemory(NAME, new Float32Array(3)),
    /Cannot replace tensor: .*q_proj.*got 3 values/,
  );
  assert.throws(() => overlay.setMemory("nope", new Float32Array(3)), /nope is not a tensor of the base/);
  assert.throws(
    () => overlay.setFile(NAME, { path: "x", offset: 0, byteLength: 10 }, "F32"),
    /10 bytes of F32 in x/,
  );
});
