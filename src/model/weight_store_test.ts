import assert from "node:assert/strict";
import { join } from "node:path";
import { tempDir } from "../../test/fixtures/temp_dir.ts";
import { createWeightStore, readFileRange } from "./weight_store.ts";

Deno.test("createWeightStore serves memory tensors as copies and refuses duplicate names", async () => {
  const data = new Float32Array([1, 2, 3]);
  const store = createWeightStore([
    { name: "a", dtype: "F32", shape: [3], source: { kind: "memory", data } },
  ], "test checkpoint");
  assert.deepEqual(store.names(), ["a"]);
  assert.equal(store.has("a"), true);
  assert.equal(store.has("b"), false);
  const read = await store.readFloat32("a");
  read[0] = 99;
  assert.equal(data[0], 1, "callers get a copy");
  assert.throws(() => store.get("b"), { message: "Cannot find tensor: b is not in test checkpoint" });
  const t = {
    name: "a",
    dtype: "F32" as const,
    shape: [0],
    source: { kind: "memory" as const, data: new Float32Array(0) },
  };
  assert.throws(() => createWeightStore([t, t], "ck"), {
    message: "Cannot load model: tensor a appears twice in ck",
  });
});

Deno.test("readFileRange reads the requested bytes and names a file that ends early", async () => {
  await using tmp = await tempDir();
  const path = join(tmp.path, "f.bin");
  await Deno.writeFile(path, new Uint8Array([0, 1, 2, 3, 4, 5]));
  assert.deepEqual(await readFileRange(path, 2, 3), new Uint8Array([2, 3, 4]));
  await assert.rejects(readFileRange(path, 4, 4), {
    message: `Cannot read ${path}: file ends at byte 6, expected 4 bytes at 4`,
  });
});
