import { basename, join } from "node:path";
import { z } from "zod";
import { ActpatError } from "../util/errors.ts";
import { createWeightStore, readFileRange } from "./weight_store.ts";
import { STORAGE_BYTES, type StorageDType, type WeightStore, type WeightTensor } from "./weights.ts";

/** The parsed, validated header of one safetensors file. */
export interface SafetensorsHeader {
  path: string;
  /** Absolute offset of the data region (8 + header length). */
  dataStart: number;
  /** Tensors in file order, with absolute `file` sources. */
  tensors: WeightTensor[];
  metadata: Record<string, string>;
}

/** The safetensors format caps the header at 100 MB; a larger length means a corrupt or foreign file. */
const MAX_HEADER = 100_000_000;

const entrySchema = z.object({
  dtype: z.string(),
  shape: z.array(z.int().nonnegative()),
  data_offsets: z.tuple([z.int().nonnegative(), z.int().nonnegative()]),
});

/**
 * Reads and validates a safetensors header (u64 LE length + JSON) without touching tensor data: header inside
 * the file, dtype F32/F16/BF16, byte length = dtype size × product(shape), offsets inside the data region and
 * not overlapping.
 */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  const fail = (detail: string) => new ActpatError(`read safetensors file ${path}`, detail);
  let size: number;
  try {
    size = (await Deno.stat(path)).size;
  } catch (err) {
    throw fail(err instanceof Deno.errors.NotFound ? "no such file" : String(err));
  }
  if (size < 8) throw fail(`file is ${size} bytes, too short for the 8-byte header length`);
  const lengthBytes = await readOrFail(path, 0, 8, fail);
  const headerLength = Number(new DataView(lengthBytes.buffer).getBigUint64(0, true));
  if (headerLength > MAX_HEADER) {
    throw fail(`header length ${headerLength} exceeds the format's 100 MB limit`);
  }
  if (8 + headerLength > size) {
    throw fail(`truncated header: header length ${headerLength} exceeds the ${size - 8} bytes after it`);
  }
  const text = new TextDecoder().decode(await readOrFail(path, 8, headerLength, fail));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw fail(`corrupt header JSON (${err instanceof Error ? err.message : err})`);
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw fail("header JSON is not an object");
  }
  const dataStart = 8 + headerLength;
  const dataLength = size - dataStart;
  const tensors: WeightTensor[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(json)) {
    if (name === "__metadata__") {
      const parsed = z.record(z.string(), z.string()).safeParse(value);
      if (!parsed.success) throw fail("__metadata__ is not a map of strings");
      metadata = parsed.data;
      continue;
    }
    const parsed = entrySchema.safeParse(value);
    if (!parsed.success) {
      throw fail(`tensor ${name}: entry must be {dtype, shape: int[], data_offsets: [begin, end]}`);
    }
    const { dtype, shape, data_offsets: [begin, end] } = parsed.data;
    if (!(dtype in STORAGE_BYTES)) {
      throw fail(`tensor ${name} has dtype ${dtype} (supported: F32, F16, BF16)`);
    }
    if (end < begin) throw fail(`tensor ${name} has data_offsets [${begin}, ${end}] with end before begin`);
    if (end > dataLength) {
      throw fail(
        `tensor ${name} has data_offsets [${begin}, ${end}] beyond the ${dataLength}-byte data region`,
      );
    }
    const want = shape.reduce((a, b) => a * b, 1) * STORAGE_BYTES[dtype as StorageDType];
    if (end - begin !== want) {
      throw fail(
        `tensor ${name} has ${end - begin} bytes but ${dtype} × [${shape.join(", ")}] needs ${want}`,
      );
    }
    tensors.push({
      name,
      dtype: dtype as StorageDType,
      shape,
      source: { kind: "file", path, offset: dataStart + begin, byteLength: end - begin },
    });
  }
  tensors.sort((a, b) => offsetOf(a) - offsetOf(b));
  for (let i = 1; i < tensors.length; i++) {
    const prev = tensors[i - 1];
    if (offsetOf(prev) + byteLengthOf(prev) > offsetOf(tensors[i])) {
      throw fail(`tensors ${prev.name} and ${tensors[i].name} overlap`);
    }
  }
  return { path, dataStart, tensors, metadata };
}

function offsetOf(t: WeightTensor): number {
  return t.source.kind === "file" ? t.source.offset : 0;
}

function byteLengthOf(t: WeightTensor): number {
  return t.source.kind === "file" ? t.source.byteLength : 0;
}

async function readOrFail(
  path: string,
  offset: number,
  length: number,
  fail: (detail: string) => Error,
): Promise<Uint8Array> {
  try {
    return await readFileRange(path, offset, length);
  } catch (err) {
    throw fail(err instanceof Error ? err.message : String(err));
  }
}

/** The weights of one or more safetensors files (shards) as one store. */
export async function openSafetensors(paths: string[], label = paths.join(", ")): Promise<WeightStore> {
  const tensors: WeightTensor[] = [];
  for (const path of paths) tensors.push(...(await readSafetensorsHeader(path)).tensors);
  return createWeightStore(tensors, label);
}

/** Name of the shard index of a sharded Hugging Face checkpoint. */
export const SHARD_INDEX = "model.safetensors.index.json";

const indexSchema = z.object({
  metadata: z.record(z.string(), z.unknown()).optional(),
  weight_map: z.record(z.string(), z.string()),
});

/**
 * The weight files of a Hugging Face checkpoint directory: the shards listed by `model.safetensors.index.json`
 * when present (every listed tensor must be in its shard), else `model.safetensors`.
 */
export async function openCheckpointWeights(dir: string): Promise<{ store: WeightStore; files: string[] }> {
  const indexPath = join(dir, SHARD_INDEX);
  let indexText: string | null = null;
  try {
    indexText = await Deno.readTextFile(indexPath);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw new ActpatError(`read ${indexPath}`, String(err));
  }
  if (indexText === null) {
    const single = join(dir, "model.safetensors");
    if (!(await exists(single))) {
      const torch = await exists(join(dir, "pytorch_model.bin"));
      throw new ActpatError(
        "load model",
        `no model.safetensors or ${SHARD_INDEX} in ${dir}` +
          (torch ? " (pytorch_model.bin is not supported: convert it to safetensors)" : ""),
      );
    }
    return { store: await openSafetensors([single], single), files: [single] };
  }
  let parsed;
  try {
    parsed = indexSchema.parse(JSON.parse(indexText));
  } catch (err) {
    const detail = err instanceof SyntaxError ? err.message : "expected {weight_map: {tensor: file}}";
    throw new ActpatError(`read ${indexPath}`, detail);
  }
  const shardNames = [...new Set(Object.values(parsed.weight_map))];
  for (const s of shardNames) {
    if (s !== basename(s)) throw new ActpatError(`read ${indexPath}`, `shard "${s}" is not a file in ${dir}`);
  }
  const files = shardNames.map((s) => join(dir, s));
  const headers = await Promise.all(files.map(readSafetensorsHeader));
  const tensors: WeightTensor[] = [];
  for (const [i, header] of headers.entries()) {
    const listed = new Set(
      Object.entries(parsed.weight_map).filter(([, s]) => s === shardNames[i]).map(([n]) => n),
    );
    for (const t of header.tensors) {
      // Tensors a shard holds but the index does not list are ignored, as transformers does.
      if (listed.delete(t.name)) tensors.push(t);
    }
    const missing = [...listed];
    if (missing.length > 0) {
      throw new ActpatError(
        "load model",
        `${indexPath} lists tensor ${missing[0]} in ${shardNames[i]}, but that shard does not contain it` +
          (missing.length > 1 ? ` (nor ${missing.length - 1} more)` : ""),
      );
    }
  }
  return { store: createWeightStore(tensors, dir), files };
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}
