import { bfloat16Bits, float16Bits } from "../onnx/dtype.ts";
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
      return new Uint8Array(float16Bits(data).buffer);
    case "BF16":
      return new Uint8Array(bfloat16Bits(data).buffer);
  }
}
