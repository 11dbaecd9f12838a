import { ActpatError } from "../util/errors.ts";

/** Element types of graph values. */
export type DType = "float32" | "float16" | "bfloat16" | "float64" | "int64" | "int32" | "bool";

/** All dtypes, in a stable order. */
export const DTYPES: readonly DType[] = [
  "float32",
  "float16",
  "bfloat16",
  "float64",
  "int64",
  "int32",
  "bool",
];

/** ONNX `TensorProto.DataType` codes. */
export const ONNX_ELEM_TYPE: Record<DType, number> = {
  float32: 1,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
  bfloat16: 16,
};

/** Bytes per element as stored by ONNX and safetensors. */
export const BYTES_PER_ELEMENT: Record<DType, number> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float64: 8,
  int64: 8,
  int32: 4,
  bool: 1,
};

/**
 * The JS typed array holding each dtype. float16 and bfloat16 travel as raw bit patterns (Uint16Array),
 * bool as one byte per element (Uint8Array), as onnxruntime-node expects.
 */
export interface TypedArrayOf {
  float32: Float32Array;
  float16: Uint16Array;
  bfloat16: Uint16Array;
  float64: Float64Array;
  int64: BigInt64Array;
  int32: Int32Array;
  bool: Uint8Array;
}

/** Any typed array a graph tensor can hold. */
export type TypedArray = TypedArrayOf[DType];

const CTORS = {
  float32: Float32Array,
  float16: Uint16Array,
  bfloat16: Uint16Array,
  float64: Float64Array,
  int64: BigInt64Array,
  int32: Int32Array,
  bool: Uint8Array,
} as const;

/** True for the floating-point dtypes (the ones gradients flow through). */
export function isFloat(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float16" || dtype === "bfloat16" || dtype === "float64";
}

/** The dtype of an ONNX elem type code; throws on codes actpat does not use. */
export function dtypeFromElemType(code: number): DType {
  for (const d of DTYPES) if (ONNX_ELEM_TYPE[d] === code) return d;
  throw new ActpatError("map ONNX element type", `code ${code} is not one of ${DTYPES.join(", ")}`);
}

/** A zero-filled typed array of `length` elements for `dtype`. */
export function allocTyped<D extends DType>(dtype: D, length: number): TypedArrayOf[D] {
  return new CTORS[dtype](length) as TypedArrayOf[D];
}

/**
 * Builds the typed array of `dtype` from plain numbers (booleans as 0/1, int64 via BigInt). float16/bfloat16
 * are converted from float values by round-to-nearest-even.
 */
export function typedFromNumbers<D extends DType>(dtype: D, values: ArrayLike<number>): TypedArrayOf[D] {
  // Half types round through float32 first, as a float32 tensor cast in-graph would.
  if (dtype === "float16") return float16Bits(Float32Array.from(values)) as TypedArrayOf[D];
  if (dtype === "bfloat16") return bfloat16Bits(Float32Array.from(values)) as TypedArrayOf[D];
  const out = allocTyped(dtype, values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (dtype === "int64") (out as BigInt64Array)[i] = BigInt(Math.trunc(v));
    else if (dtype === "bool") (out as Uint8Array)[i] = v ? 1 : 0;
    else (out as Float32Array)[i] = v;
  }
  return out;
}

/** Checks that `data` is the typed array class used for `dtype` (see {@link TypedArrayOf}). */
export function checkTypedArray(dtype: DType, data: TypedArray, what: string): void {
  if (!(data instanceof CTORS[dtype])) {
    throw new ActpatError(
      `use data of ${what}`,
      `dtype ${dtype} needs a ${CTORS[dtype].name}, got ${data.constructor.name}`,
    );
  }
}

/** IEEE half-precision bit patterns of float32 values (round to nearest even), by the built-in Float16Array. */
export function float16Bits(data: Float32Array): Uint16Array {
  return new Uint16Array(new Float16Array(data).buffer);
}

/** bfloat16 bit patterns of float32 values (round to nearest even; NaN stays a quiet NaN). */
export function bfloat16Bits(data: Float32Array): Uint16Array {
  const src = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const out = new Uint16Array(data.length);
  for (let i = 0; i < src.length; i++) {
    const u = src[i];
    if ((u & 0x7fffffff) > 0x7f800000) out[i] = (u >>> 16) | 0x40;
    else out[i] = (u + 0x7fff + ((u >>> 16) & 1)) >>> 16;
  }
  return out;
}
