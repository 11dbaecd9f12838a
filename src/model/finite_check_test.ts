import assert from "node:assert/strict";
import { join } from "node:path";
import { rawSafetensors } from "../../test/fixtures/raw_safetensors.ts";
import { STORIES_BIN, STORIES_HF, STORIES_TOK } from "../../test/fixtures/mirror.ts";
import { tempDir } from "../../test/fixtures/temp_dir.ts";
import { Pcg32 } from "../data/prng.ts";
import { decodeToFloat32 } from "./_dtype.ts";
import { checkFiniteWeights, findNonfinite } from "./finite_check.ts";
import { loadModel } from "./load_model.ts";
import { openCheckpointWeights, readSafetensorsHeader } from "./safetensors.ts";
import type { StorageDType } from "./weights.ts";

/** Random bit patterns of `n` values, about one in 64 forced to an exponent of all ones (NaN or ±Inf). */
function randomBits(n: number, dtype: StorageDType, rng: Pcg32): Uint8Array {
  const bytes = new Uint8Array(n * (dtype === "F32" ? 4 : 2));
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < n; i++) {
    const r = rng.nextUint32();
    // The last value of a short tensor is always special: it sits in the half word the 16-bit types leave.
    const special = rng.nextUint32() % 64 === 0 || (n <= 4 && i === n - 1);
    if (dtype === "F32") view.setUint32(4 * i, special ? (r | 0x7f800000) >>> 0 : r, true);
    else {
      const e = dtype === "F16" ? 0x7c00 : 0x7f80;
      view.setUint16(2 * i, special ? (r & 0xffff) | e : r & 0xffff, true);
    }
  }
  return bytes;
}

/** NaN and ±Inf counts of decoded values: the reference, independent of the bit tests under test. */
function reference(bytes: Uint8Array, dtype: StorageDType) {
  const values = decodeToFloat32(bytes, dtype);
  let nan = 0, inf = 0, first = -1;
  values.forEach((v, i) => {
    if (Number.isFinite(v)) return;
    if (first < 0) first = i;
    if (Number.isNaN(v)) nan++;
    else inf++;
  });
  return { nan, inf, first };
}

Deno.test("findNonfinite counts NaN and ±Inf of F32, F16 and BF16 tensors exactly as decoding them does", async () => {
  await using tmp = await tempDir();
  const rng = new Pcg32(11n, 3n);
  const tensors: { name: string; dtype: StorageDType; bytes: Uint8Array }[] = [];
  for (const dtype of ["F32", "F16", "BF16"] as const) {
    // Odd and even lengths: the 16-bit types then end in half a 32-bit word.
    for (const n of [1, 2, 3, 4099, 100_000]) {
      tensors.push({ name: `t.${dtype}.${n}`, dtype, bytes: randomBits(n, dtype, rng) });
    }
    // Only finite values, the largest and the subnormals among them: nothing to report.
    const edge = dtype === "F32"
      ? new Uint32Array([0x7f7fffff, 0xff7fffff, 0x00000001, 0x807fffff, 0])
      : dtype === "F16"
      ? new Uint16Array([0x7bff, 0xfbff, 0x0001, 0x83ff, 0])
      : new Uint16Array([0x7f7f, 0xff7f, 0x0001, 0x807f, 0]);
    tensors.push({ name: `edge.${dtype}`, dtype, bytes: new Uint8Array(edge.buffer) });
  }
  const header: Record<string, unknown> = {};
  let at = 0;
  for (const t of tensors) {
    const size = t.dtype === "F32" ? 4 : 2;
    header[t.name] = {
      dtype: t.dtype,
      shape: [t.bytes.length / size],
      data_offsets: [at, at + t.bytes.length],
    };
    at += t.bytes.length;
  }
  const data = new Uint8Array(at);
  let off = 0;
  for (const t of tensors) {
    data.set(t.bytes, off);
    off += t.bytes.length;
  }
  // A header length that leaves the data unaligned: the scan must not depend on alignment in the file.
  const file = join(tmp.path, "model.safetensors");
  await Deno.writeFile(file, rawSafetensors(JSON.stringify(header) + " ", data));
  const { store } = await openCheckpointWeights(tmp.path);
  const found = await findNonfinite(store, { cacheDir: join(tmp.path, "cache") });
  const expected = tensors.map((t) => ({ name: t.name, ...reference(t.bytes, t.dtype) }))
    .filter((r) => r.first >= 0);
  assert.equal(expected.length, 15, "every random tensor holds non-finite values, the edge ones none");
  assert.deepEqual(found.map(({ name, nan, inf, first }) => ({ name, nan, inf, first })), expected);
});

/** A copy of stories260K-hf with the float32 at `index` of `tensor` set to `value`. */
async function damagedHf(dir: string, tensor: string, index: number, value: number): Promise<string> {
  const out = join(dir, "stories-hf");
  await Deno.mkdir(out);
  for await (const e of Deno.readDir(STORIES_HF)) {
    await Deno.copyFile(join(STORIES_HF, e.name), join(out, e.name));
  }
  const path = join(out, "model.safetensors");
  const t = (await readSafetensorsHeader(path)).tensors.find((x) => x.name === tensor)!;
  assert.equal(t.source.kind, "file");
  const bytes = await Deno.readFile(path);
  if (t.source.kind === "file") {
    new DataView(bytes.buffer).setFloat32(t.source.offset + 4 * index, value, true);
  }
  await Deno.writeFile(path, bytes);
  return out;
}

Deno.test("loadModel refuses a NaN weight naming its tensor, layer and module; allowNonfinite loads it", async () => {
  await using tmp = await tempDir();
  const cacheDir = join(tmp.path, "cache");
  const dir = await damagedHf(tmp.path, "model.layers.2.mlp.down_proj.weight", 1234, NaN);
  await assert.rejects(loadModel(dir, { cacheDir, allowNonfinite: false }), {
    name: "ActpatError",
    message: "Cannot load model: a tensor holds NaN or ±Inf values: model.layers.2.mlp.down_proj.weight " +
      `(layer 2, mlp.down_proj) in ${
        join(dir, "model.safetensors")
      }: 1 NaN, 0 ±Inf, first at element 1234. ` +
      "The checkpoint is damaged; pass --allow-nonfinite to load it anyway",
  });
  const model = await loadModel(dir, { cacheDir, allowNonfinite: true, quiet: true });
  const w = await model.weights.readFloat32("model.layers.2.mlp.down_proj.weight");
  assert.ok(Number.isNaN(w[1234]));
});

Deno.test("loadModel names the tensor of a llama2.c checkpoint's ±Inf after its conversion", async () => {
  await using tmp = await tempDir();
  // llama2.c layout (run.c): 7 int32 header; embedding; rms_att; wq; wk; wv; wo; rms_ffn; w1; w2; w3; ...
  const [vocab, dim, hidden, layers, kvDim] = [512, 64, 172, 5, 32];
  const w2 = 7 + vocab * dim + layers * dim + 2 * layers * dim * dim + 2 * layers * dim * kvDim +
    layers * dim + layers * hidden * dim;
  const bytes = await Deno.readFile(STORIES_BIN);
  // Layer 3 of w2 (down_proj, [dim, hidden]), element 5.
  new DataView(bytes.buffer).setFloat32(4 * (w2 + 3 * dim * hidden + 5), -Infinity, true);
  const bin = join(tmp.path, "stories260K.bin");
  await Deno.writeFile(bin, bytes);
  await Deno.copyFile(STORIES_TOK, join(tmp.path, "tok512.bin"));
  await assert.rejects(
    loadModel(bin, { cacheDir: join(tmp.path, "cache") }),
    /^ActpatError: Cannot load model: a tensor holds NaN or ±Inf values: model\.layers\.3\.mlp\.down_proj\.weight \(layer 3, mlp\.down_proj\): 0 NaN, 1 ±Inf, first at element 5\. /,
  );
});

Deno.test("a file found finite is remembered by path, size and mtime; a changed file is scanned again", async () => {
  await using tmp = await tempDir();
  const cacheDir = join(tmp.path, "cache");
  const dir = await damagedHf(tmp.path, "model.norm.weight", 0, 1);
  const path = join(dir, "model.safetensors");
  const { store } = await openCheckpointWeights(dir);
  assert.deepEqual(await checkFiniteWeights(store, { cacheDir }), []);
  // Damage it in place keeping size and mtime: the remembered verdict stands, so the file was not read.
  const { mtime } = await Deno.stat(path);
  const t = (await readSafetensorsHeader(path)).tensors.find((x) => x.name === "model.norm.weight")!;
  const bytes = await Deno.readFile(path);
  if (t.source.kind === "file") new DataView(bytes.buffer).setFloat32(t.source.offset, NaN, true);
  await Deno.writeFile(path, bytes);
  await Deno.utime(path, mtime!, mtime!);
  assert.deepEqual(await findNonfinite(store, { cacheDir }), []);
  await Deno.utime(path, new Date(), new Date(mtime!.getTime() + 5000));
  const found = await findNonfinite(store, { cacheDir });
  assert.deepEqual(found.map((f) => [f.name, f.where, f.nan]), [["model.norm.weight", "final norm", 1]]);
});
