import type { StorageDType } from "./weights.ts";

/**
 * Decodes little-endian checkpoint bytes to float32. F16 goes through the native Float16Array (exact); BF16 is
 * the upper half of a float32, so widening is a shift. Assumes a little-endian host, as safetensors does.
 */
export function decodeToFloat32(bytes: Uint8Array, dtype: StorageDType): Float32Array {
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  switch (dtype) {
    case "F32":
      return new Float32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4).slice();
    case "F16":
      // The typed-array constructor converts natively; Float32Array.from would go through the iterator protocol.
      return new Float32Array(new Float16Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 2));
    case "BF16": {
      const half = new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 2);
      const bits = new Uint32Array(half.length);
      for (let i = 0; i < half.length; i++) bits[i] = half[i] << 16;
      return new Float32Array(bits.buffer);
    }
  }
}

/** Encodes float32 values as checkpoint bytes; F16 and BF16 round to nearest, ties to even. */
export function encodeFromFloat32(data: Float32Array, dtype: StorageDType): Uint8Array {
  switch (dtype) {
    case "F32":
      return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    case "F16":
      return new Uint8Array(new Float16Array(data).buffer);
    case "BF16":
      return new Uint8Array(float32ToBf16Bits(data).buffer);
  }
}

/** bfloat16 bit patterns of float32 values (round to nearest even; NaN stays a quiet NaN). */
export function float32ToBf16Bits(data: Float32Array): Uint16Array {
  const src = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const out = new Uint16Array(data.length);
  for (let i = 0; i < src.length; i++) {
    const u = src[i];
    if ((u & 0x7fffffff) > 0x7f800000) out[i] = (u >>> 16) | 0x40;
    else out[i] = (u + 0x7fff + ((u >>> 16) & 1)) >>> 16;
  }
  return out;
}
