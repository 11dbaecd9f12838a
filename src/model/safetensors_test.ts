import assert from "node:assert/strict";
import { join } from "node:path";
import { STORIES_BIN, STORIES_HF } from "../../test/fixtures/mirror.ts";
import { rawSafetensors } from "../../test/fixtures/raw_safetensors.ts";
import { tempDir } from "../../test/fixtures/temp_dir.ts";
import { openCheckpointWeights, openSafetensors, readSafetensorsHeader } from "./safetensors.ts";
import { writeSafetensors } from "./safetensors_writer.ts";

Deno.test("readSafetensorsHeader reads stories260K-hf: 47 tensors (embedding, 5 × 9, final norm) filling the data region in order", async () => {
  const path = join(STORIES_HF, "model.safetensors");
  const header = await readSafetensorsHeader(path);
  const size = (await Deno.stat(path)).size;
  assert.equal(header.tensors.length, 47);
  assert.equal(header.metadata.format, "pt");
  let end = header.dataStart;
  for (const t of header.tensors) {
    assert.equal(t.dtype, "F32");
    assert.ok(t.source.kind === "file");
    assert.equal(t.source.offset, end, t.name);
    end += t.source.byteLength;
  }
  assert.equal(end, size);
  const embed = header.tensors.find((t) => t.name === "model.embed_tokens.weight")!;
  assert.deepEqual(embed.shape, [512, 64]);
});

Deno.test(
  "readFloat32 returns the same values as the llama2.c file holds for an unpermuted tensor",
  async () => {
    const store = await openSafetensors([join(STORIES_HF, "model.safetensors")]);
    // Independent read: llama2.c stores the final RMSNorm after the embedding and the per-layer tensors
    // (SOURCE.md format: dim 64, hidden 172, 5 layers, kv_dim 32, vocab 512).
    const [dim, hidden, layers, kv, vocab] = [64, 172, 5, 32, 512];
    const before = vocab * dim +
      layers * (dim + dim * dim + 2 * kv * dim + dim * dim + dim + 3 * hidden * dim);
    const bin = await Deno.readFile(STORIES_BIN);
    const view = new DataView(bin.buffer, 28 + 4 * before, 4 * dim);
    const want = Float32Array.from({ length: dim }, (_, i) => view.getFloat32(4 * i, true));
    assert.deepEqual(await store.readFloat32("model.norm.weight"), want);
  },
);

Deno.test("readFloat32 converts F16 and BF16 tensors from a hand-built file", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  // f16: 1, -2, 0.5; bf16: 1, -3 (bit patterns from the IEEE layouts).
  const data = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x3800, 0x3f80, 0xc040]).buffer);
  const header = {
    __metadata__: { format: "pt" },
    h: { dtype: "F16", shape: [3], data_offsets: [0, 6] },
    b: { dtype: "BF16", shape: [1, 2], data_offsets: [6, 10] },
  };
  const path = join(dir, "m.safetensors");
  await Deno.writeFile(path, rawSafetensors(header, data));
  const store = await openSafetensors([path]);
  assert.deepEqual(store.names(), ["h", "b"]);
  assert.deepEqual(await store.readFloat32("h"), new Float32Array([1, -2, 0.5]));
  assert.deepEqual(await store.readFloat32("b"), new Float32Array([1, -3]));
  assert.deepEqual(store.get("b").shape, [1, 2]);
  assert.throws(() => store.get("nope"), { message: `Cannot find tensor: nope is not in ${path}` });
});

Deno.test("readFloat32 reads only the tensor's range of a 3 GiB (sparse) file", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  const path = join(dir, "big.safetensors");
  const gap = 3 * 2 ** 30;
  const header = {
    pad: { dtype: "F16", shape: [gap / 2], data_offsets: [0, gap] },
    tail: { dtype: "F32", shape: [2], data_offsets: [gap, gap + 8] },
  };
  const head = rawSafetensors(header, new Uint8Array(0));
  await Deno.writeFile(path, head);
  await Deno.truncate(path, head.length + gap + 8);
  using f = await Deno.open(path, { write: true });
  await f.seek(head.length + gap, Deno.SeekMode.Start);
  await f.write(new Uint8Array(new Float32Array([7, -8]).buffer));
  // A reader that loaded the file would need 3 GiB of heap (beyond a typed array's limit here); this is fast.
  const store = await openSafetensors([path]);
  assert.deepEqual(await store.readFloat32("tail"), new Float32Array([7, -8]));
});

Deno.test("readSafetensorsHeader rejects malformed files, naming the file and the problem", async (t) => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  const ok = { dtype: "F32", shape: [2], data_offsets: [0, 8] };
  const cases: [string, Uint8Array, string][] = [
    ["too short", new Uint8Array(5), "file is 5 bytes, too short for the 8-byte header length"],
    [
      "truncated header",
      rawSafetensors({ a: ok }, new Uint8Array(8)).subarray(0, 20),
      "truncated header: header length 54 exceeds the 12 bytes after it",
    ],
    [
      "huge header length",
      rawSafetensors("{}", new Uint8Array(0), { headerLength: 2 ** 40 }),
      `header length ${2 ** 40} exceeds the format's 100 MB limit`,
    ],
    ["corrupt JSON", rawSafetensors('{"a": {"dtype": ', new Uint8Array(0)), "corrupt header JSON ("],
    ["JSON array", rawSafetensors("[1, 2]", new Uint8Array(0)), "header JSON is not an object"],
    [
      "entry without offsets",
      rawSafetensors({ a: { dtype: "F32", shape: [2] } }, new Uint8Array(8)),
      "tensor a: entry must be {dtype, shape: int[], data_offsets: [begin, end]}",
    ],
    [
      "unsupported dtype",
      rawSafetensors({ a: { dtype: "I8", shape: [2], data_offsets: [0, 2] } }, new Uint8Array(2)),
      "tensor a has dtype I8 (supported: F32, F16, BF16)",
    ],
    [
      "offsets outside the file",
      rawSafetensors({ a: { dtype: "F32", shape: [4], data_offsets: [0, 16] } }, new Uint8Array(8)),
      "tensor a has data_offsets [0, 16] beyond the 8-byte data region",
    ],
    [
      "reversed offsets",
      rawSafetensors({ a: { dtype: "F32", shape: [0], data_offsets: [8, 4] } }, new Uint8Array(8)),
      "tensor a has data_offsets [8, 4] with end before begin",
    ],
    [
      "size disagreeing with shape",
      rawSafetensors({ a: { dtype: "BF16", shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)),
      "tensor a has 8 bytes but BF16 × [3] needs 6",
    ],
    [
      "overlapping tensors",
      rawSafetensors({ a: ok, b: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)),
      "tensors a and b overlap",
    ],
    [
      "bad metadata",
      rawSafetensors({ __metadata__: { n: 1 }, a: ok }, new Uint8Array(8)),
      "__metadata__ is not a map of strings",
    ],
  ];
  for (const [name, bytes, detail] of cases) {
    await t.step(name, async () => {
      const path = join(dir, `${name.replaceAll(" ", "_")}.safetensors`);
      await Deno.writeFile(path, bytes);
      await assert.rejects(readSafetensorsHeader(path), (err: Error) => {
        assert.equal(err.name, "ActpatError");
        assert.ok(
          err.message.startsWith(`Cannot read safetensors file ${path}: ${detail}`),
          `${err.message}\n  should start with: ${detail}`,
        );
        return true;
      });
    });
  }
  await t.step("missing file", async () => {
    const path = join(dir, "absent.safetensors");
    await assert.rejects(readSafetensorsHeader(path), {
      message: `Cannot read safetensors file ${path}: no such file`,
    });
  });
});

Deno.test("openCheckpointWeights joins the shards listed by model.safetensors.index.json", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  await writeSafetensors(join(dir, "model-00001-of-00002.safetensors"), [
    { name: "a", shape: [2], dtype: "F32", data: new Float32Array([1, 2]) },
    { name: "stray", shape: [1], dtype: "F32", data: new Float32Array([0]) },
  ], { quiet: true });
  await writeSafetensors(join(dir, "model-00002-of-00002.safetensors"), [
    { name: "b", shape: [1, 2], dtype: "BF16", data: new Float32Array([3, 4]) },
  ], { quiet: true });
  const index = {
    metadata: { total_size: 12 },
    weight_map: { a: "model-00001-of-00002.safetensors", b: "model-00002-of-00002.safetensors" },
  };
  await Deno.writeTextFile(join(dir, "model.safetensors.index.json"), JSON.stringify(index));
  const { store, files } = await openCheckpointWeights(dir);
  assert.deepEqual(files, [
    join(dir, "model-00001-of-00002.safetensors"),
    join(dir, "model-00002-of-00002.safetensors"),
  ]);
  assert.deepEqual(store.names(), ["a", "b"]);
  assert.deepEqual(await store.readFloat32("b"), new Float32Array([3, 4]));

  index.weight_map = {
    ...index.weight_map,
    c: "model-00002-of-00002.safetensors",
  } as typeof index.weight_map;
  await Deno.writeTextFile(join(dir, "model.safetensors.index.json"), JSON.stringify(index));
  await assert.rejects(openCheckpointWeights(dir), {
    message: `Cannot load model: ${dir}/model.safetensors.index.json lists tensor c in ` +
      "model-00002-of-00002.safetensors, but that shard does not contain it",
  });
  await Deno.writeTextFile(join(dir, "model.safetensors.index.json"), "{ not json");
  await assert.rejects(
    openCheckpointWeights(dir),
    /^ActpatError: Cannot read .*model\.safetensors\.index\.json: /,
  );
  await Deno.writeTextFile(
    join(dir, "model.safetensors.index.json"),
    JSON.stringify({ weight_map: { a: "../x" } }),
  );
  await assert.rejects(openCheckpointWeights(dir), /shard "\.\.\/x" is not a file in/);
});

Deno.test("openCheckpointWeights explains a directory without safetensors weights", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  await Deno.writeFile(join(dir, "pytorch_model.bin"), new Uint8Array(4));
  await assert.rejects(openCheckpointWeights(dir), {
    message: `Cannot load model: no model.safetensors or model.safetensors.index.json in ${dir} ` +
      "(pytorch_model.bin is not supported: convert it to safetensors)",
  });
});
