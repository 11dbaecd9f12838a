import assert from "node:assert/strict";
import { bfloat16Bits } from "../onnx/dtype.ts";
import { decodeToFloat32, encodeFromFloat32 } from "./_dtype.ts";

const bytesOf = (bits: number[]) => new Uint8Array(new Uint16Array(bits).buffer);

Deno.test("decodeToFloat32 widens F16 and BF16 bit patterns to their exact values", () => {
  // Hand-decoded patterns: sign/exponent/mantissa fields written out, so this does not reuse the code under test.
  const f16 = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x3555, 0x7c00, 0x8000];
  // 0x3555: exponent field 13 → 2^(13-15), mantissa 0x155.
  const f16Values = [1, -2, 65504, 2 ** -24, (1 + 0x155 / 1024) / 4, Infinity, -0];
  assert.deepEqual(Array.from(decodeToFloat32(bytesOf(f16), "F16")), f16Values);
  const bf16 = [0x3f80, 0xc040, 0x7f80, 0x3eab, 0x0001];
  const bfValues = [1, -3, Infinity, (1 + 0x2b / 128) / 4, 2 ** -133];
  assert.deepEqual(Array.from(decodeToFloat32(bytesOf(bf16), "BF16")), bfValues);
});

Deno.test("decodeToFloat32 reads F32 from an unaligned byte range", () => {
  const values = new Float32Array([1.5, -2.25, 3e-8]);
  const padded = new Uint8Array(13);
  padded.set(new Uint8Array(values.buffer), 1);
  assert.deepEqual(decodeToFloat32(padded.subarray(1), "F32"), values);
});

Deno.test("bfloat16Bits rounds to nearest with ties to even", () => {
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  const cases: [number, number][] = [
    [0x3f808000, 0x3f80], // exactly halfway, even below → stays
    [0x3f818000, 0x3f82], // halfway, odd below → rounds up to even
    [0x3f808001, 0x3f81], // above halfway → up
    [0x3f807fff, 0x3f80], // below halfway → down
    [0x7f7fffff, 0x7f80], // largest float rounds to infinity
  ];
  for (const [input, want] of cases) {
    u[0] = input;
    assert.equal(bfloat16Bits(f)[0], want, input.toString(16));
  }
  assert.ok(
    Number.isNaN(decodeToFloat32(bytesOf([bfloat16Bits(new Float32Array([NaN]))[0]]), "BF16")[0]),
  );
});

Deno.test("encodeFromFloat32 and decodeToFloat32 round-trip values representable in each dtype", () => {
  const values = new Float32Array([0, 1, -0.5, 1024, 0.0078125, -65504]);
  for (const dtype of ["F32", "F16", "BF16"] as const) {
    const back = decodeToFloat32(encodeFromFloat32(values, dtype), dtype);
    // -65504 = -(2 - 2^-10)·2^15 needs 11 significant bits, more than bf16's 8: it rounds to -65536.
    const want = dtype === "BF16" ? Float32Array.from(values, (v) => (v === -65504 ? -65536 : v)) : values;
    assert.deepEqual(back, want, dtype);
  }
});
