import assert from "node:assert/strict";
import { join } from "node:path";
import { tempDir } from "../../test/fixtures/temp_dir.ts";
import { openSafetensors, readSafetensorsHeader } from "./safetensors.ts";
import { writeSafetensors } from "./safetensors_writer.ts";

Deno.test("writeSafetensors round-trips f32, f16 and bf16 tensors given whole, as chunks and as raw bits", async () => {
  await using tmp = await tempDir();
  const path = join(tmp.path, "m.safetensors");
  const values = Float32Array.from({ length: 12 }, (_, i) => (i - 6) / 4); // exact in f16 and bf16
  function* rows() {
    for (let r = 0; r < 3; r++) yield values.slice(r * 4, r * 4 + 4);
  }
  async function* asyncRows() {
    yield* rows();
  }
  const { bytes } = await writeSafetensors(path, [
    { name: "f32", shape: [3, 4], dtype: "F32", data: values },
    { name: "f16.chunks", shape: [3, 4], dtype: "F16", data: rows() },
    { name: "bf16.async", shape: [12], dtype: "BF16", data: asyncRows() },
    // Raw bf16 bits: 0x3f80 = 1, 0xc040 = -3.
    { name: "raw", shape: [2], dtype: "BF16", data: new Uint16Array([0x3f80, 0xc040]) },
    { name: "empty", shape: [0, 5], dtype: "F32", data: new Float32Array(0) },
  ], { quiet: true });
  assert.equal(bytes, (await Deno.stat(path)).size);
  const header = await readSafetensorsHeader(path);
  assert.equal(header.dataStart % 8, 0);
  assert.deepEqual(header.metadata, { format: "pt" });
  assert.deepEqual(header.tensors.map((t) => [t.name, t.dtype, t.shape]), [
    ["f32", "F32", [3, 4]],
    ["f16.chunks", "F16", [3, 4]],
    ["bf16.async", "BF16", [12]],
    ["raw", "BF16", [2]],
    ["empty", "F32", [0, 5]],
  ]);
  const store = await openSafetensors([path]);
  for (const name of ["f32", "f16.chunks", "bf16.async"]) {
    assert.deepEqual(await store.readFloat32(name), values);
  }
  assert.deepEqual(await store.readFloat32("raw"), new Float32Array([1, -3]));
  assert.deepEqual(await store.readFloat32("empty"), new Float32Array(0));
  // Independent check of the on-disk layout: the f32 tensor's bytes are the first of the data region.
  const file = await Deno.readFile(path);
  assert.deepEqual(file.slice(header.dataStart, header.dataStart + 48), new Uint8Array(values.buffer));
});

Deno.test("writeSafetensors rounds f32 to bf16 and f16 to nearest", async () => {
  await using tmp = await tempDir();
  const path = join(tmp.path, "m.safetensors");
  const values = new Float32Array([0.1, 1 / 3]);
  await writeSafetensors(path, [
    { name: "h", shape: [2], dtype: "F16", data: values },
    { name: "b", shape: [2], dtype: "BF16", data: values },
  ], { quiet: true });
  const store = await openSafetensors([path]);
  // Nearest f16 values: 0.1 → 1638/16384, 1/3 → 1365/4096; nearest bf16: 0.1 → 205/2048, 1/3 → 171/512.
  assert.deepEqual(await store.readFloat32("h"), new Float32Array([1638 / 16384, 1365 / 4096]));
  assert.deepEqual(await store.readFloat32("b"), new Float32Array([205 / 2048, 171 / 512]));
});

Deno.test("writeSafetensors refuses data that does not fill the shape and leaves no file", async () => {
  await using tmp = await tempDir();
  const path = join(tmp.path, "m.safetensors");
  await assert.rejects(
    writeSafetensors(path, [{ name: "w", shape: [2, 3], dtype: "F32", data: new Float32Array(5) }], {
      quiet: true,
    }),
    { message: `Cannot write ${path}: tensor w got 5 values, shape [2, 3] needs 6` },
  );
  await assert.rejects(
    writeSafetensors(path, [{ name: "w", shape: [2], dtype: "F32", data: new Float32Array(3) }], {
      quiet: true,
    }),
    { message: `Cannot write ${path}: tensor w got more than 2 values, shape [2] needs 2` },
  );
  await assert.rejects(
    writeSafetensors(path, [{ name: "w", shape: [1], dtype: "F32", data: new Uint16Array(1) }], {
      quiet: true,
    }),
    { message: `Cannot write ${path}: tensor w: raw 16-bit data given for an F32 tensor` },
  );
  await assert.rejects(
    writeSafetensors(path, [
      { name: "w", shape: [1], dtype: "F32", data: new Float32Array(1) },
      { name: "w", shape: [1], dtype: "F32", data: new Float32Array(1) },
    ], { quiet: true }),
    { message: `Cannot write ${path}: tensor name w is reserved or repeated` },
  );
  assert.deepEqual([...Deno.readDirSync(tmp.path)], []);
});
