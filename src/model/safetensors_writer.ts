import { openAtomic } from "../util/atomic_write.ts";
import { ActpatError } from "../util/errors.ts";
import { progress } from "../util/progress.ts";
import { encodeFromFloat32 } from "./_dtype.ts";
import { STORAGE_BYTES, type StorageDType } from "./weights.ts";

/** A chunk of tensor values: float32 values (converted to the output dtype) or raw F16/BF16 bit patterns. */
export type TensorChunk = Float32Array | Uint16Array;

/**
 * A tensor's values, whole or as a stream of chunks in row-major order, so a 7B-sized tensor can be produced
 * piecewise and never held in memory at once.
 */
export type TensorData = TensorChunk | Iterable<TensorChunk> | AsyncIterable<TensorChunk>;

/** One tensor for {@link writeSafetensors}. */
export interface TensorToWrite {
  name: string;
  shape: number[];
  /** Output dtype. */
  dtype: StorageDType;
  data: TensorData;
}

/** Options of {@link writeSafetensors}. */
export interface WriteSafetensorsOptions {
  /** String metadata stored as `__metadata__` (default `{format: "pt"}`, which transformers expects). */
  metadata?: Record<string, string>;
  quiet?: boolean;
}

/**
 * Writes a safetensors file: header first (offsets follow from the shapes), then each tensor streamed in
 * order. The file appears at `path` only when complete (temporary file + rename).
 * @example await writeSafetensors("out/model.safetensors", [{ name: "w", shape: [2], dtype: "F32", data: new Float32Array(2) }])
 */
export async function writeSafetensors(
  path: string,
  tensors: TensorToWrite[],
  options: WriteSafetensorsOptions = {},
): Promise<{ bytes: number }> {
  const header: Record<string, unknown> = { __metadata__: options.metadata ?? { format: "pt" } };
  let offset = 0;
  const seen = new Set<string>();
  for (const t of tensors) {
    if (t.name === "__metadata__" || seen.has(t.name)) {
      throw new ActpatError(`write ${path}`, `tensor name ${t.name} is reserved or repeated`);
    }
    seen.add(t.name);
    if (!t.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new ActpatError(`write ${path}`, `tensor ${t.name} has invalid shape [${t.shape.join(", ")}]`);
    }
    const bytes = elementCount(t.shape) * STORAGE_BYTES[t.dtype];
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the data region starts 8-byte aligned, as the reference implementation does.
  json += " ".repeat((8 - ((8 + new TextEncoder().encode(json).length) % 8)) % 8);
  const jsonBytes = new TextEncoder().encode(json);
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(jsonBytes.length), true);

  const out = await openAtomic(path);
  const bar = progress(`write ${path}`, offset, { unit: "B", quiet: options.quiet });
  try {
    await writeAll(out.file, prefix);
    await writeAll(out.file, jsonBytes);
    for (const t of tensors) {
      const want = elementCount(t.shape);
      let written = 0;
      let over = false;
      for await (const chunk of chunksOf(t.data)) {
        if (written + chunk.length > want) {
          over = true;
          break;
        }
        await writeAll(out.file, encodeChunk(chunk, t, path));
        written += chunk.length;
        bar.tick(chunk.length * STORAGE_BYTES[t.dtype]);
      }
      if (over || written !== want) {
        const got = over ? `more than ${want}` : String(written);
        throw new ActpatError(
          `write ${path}`,
          `tensor ${t.name} got ${got} values, shape [${t.shape.join(", ")}] needs ${want}`,
        );
      }
    }
    await out.commit();
  } catch (err) {
    await out.abort();
    throw err;
  }
  bar.done();
  return { bytes: 8 + jsonBytes.length + offset };
}

function elementCount(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

async function* chunksOf(data: TensorData): AsyncIterable<TensorChunk> {
  if (data instanceof Float32Array || data instanceof Uint16Array) yield data;
  else yield* data;
}

function encodeChunk(chunk: TensorChunk, t: TensorToWrite, path: string): Uint8Array {
  if (chunk instanceof Float32Array) return encodeFromFloat32(chunk, t.dtype);
  if (t.dtype === "F32") {
    throw new ActpatError(`write ${path}`, `tensor ${t.name}: raw 16-bit data given for an F32 tensor`);
  }
  return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

async function writeAll(file: Deno.FsFile, data: Uint8Array): Promise<void> {
  let done = 0;
  while (done < data.length) done += await file.write(data.subarray(done));
}
