import { deepStrictEqual as assertEquals } from "node:assert";
import { assertThrowsMsg } from "../../test/fixtures/assert.ts";
import {
  allocTyped,
  bfloat16Bits,
  checkTypedArray,
  dtypeFromElemType,
  DTYPES,
  float16Bits,
  ONNX_ELEM_TYPE,
  typedFromNumbers,
} from "./dtype.ts";

const f16 = (v: number) => float16Bits(Float32Array.of(v))[0];
const bf16 = (v: number) => bfloat16Bits(Float32Array.of(v))[0];

Deno.test("ONNX elem type codes round-trip and match the ONNX spec", () => {
  // Codes from onnx.proto TensorProto.DataType.
  assertEquals(ONNX_ELEM_TYPE, {
    float32: 1,
    int32: 6,
    int64: 7,
    bool: 9,
    float16: 10,
    float64: 11,
    bfloat16: 16,
  });
  for (const d of DTYPES) assertEquals(dtypeFromElemType(ONNX_ELEM_TYPE[d]), d);
  assertThrowsMsg(() => dtypeFromElemType(8), "code 8");
});

Deno.test("float16 bits match IEEE half for exact, rounded, subnormal and special values", () => {
  // Reference bit patterns from the IEEE 754 binary16 table.
  const cases: [number, number][] = [
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [65504, 0x7bff],
    [65520, 0x7c00], // rounds up to infinity
    [Infinity, 0x7c00],
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -14, 0x0400], // smallest normal
    [1 + 2 ** -11, 0x3c00], // tie → even (down)
    [1 + 3 * 2 ** -11, 0x3c02], // tie → even (up)
    [0.1, 0x2e66],
  ];
  for (const [v, bits] of cases) assertEquals(f16(v), bits, `float16(${v})`);
  assertEquals(f16(NaN) & 0x7e00, 0x7e00);
});

Deno.test("bfloat16 bits are the rounded top half of float32", () => {
  assertEquals(bf16(1), 0x3f80);
  assertEquals(bf16(-2.5), 0xc020);
  // 1 + 2^-8 is a tie between 0x3f80 and 0x3f81: even wins.
  assertEquals(bf16(1 + 2 ** -8), 0x3f80);
  assertEquals(bf16(1 + 3 * 2 ** -8), 0x3f82);
});

Deno.test("typedFromNumbers picks the array class per dtype and checkTypedArray enforces it", () => {
  assertEquals(typedFromNumbers("int64", [1, -2]), new BigInt64Array([1n, -2n]));
  assertEquals(typedFromNumbers("bool", [0, 3]), new Uint8Array([0, 1]));
  assertEquals(typedFromNumbers("float16", [1]), new Uint16Array([0x3c00]));
  assertEquals(allocTyped("float64", 2), new Float64Array(2));
  checkTypedArray("float32", new Float32Array(1), "x");
  assertThrowsMsg(() => checkTypedArray("float32", new Float64Array(1), "x"), "needs a Float32Array");
});
