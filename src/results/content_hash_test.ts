import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { contentHash } from "./content_hash.ts";

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

Deno.test("contentHash follows its documented encoding", () => {
  // Independent spelling of the encoding for small values.
  assert.equal(contentHash("abc"), sha("s3:abc"));
  assert.equal(contentHash({ b: 1, a: [true, null] }), sha("o2{s1:aa2[t;n;]s1:bd1;}"));
  assert.equal(contentHash(new Int32Array([1])), sha("bInt32Array4:\x01\x00\x00\x00"));
});

Deno.test("contentHash: key order and undefined keys do not matter; every value change does", () => {
  assert.equal(contentHash({ a: 1, b: { c: "x", d: undefined } }), contentHash({ b: { c: "x" }, a: 1 }));
  const base = contentHash({ a: [1, 2], s: "x" });
  for (
    const v of [{ a: [2, 1], s: "x" }, { a: [1, 2], s: "y" }, { a: [1, 2, 3], s: "x" }, { a: [1, 2] }, {
      a: ["1", 2],
      s: "x",
    }]
  ) {
    assert.notEqual(contentHash(v), base, JSON.stringify(v));
  }
  assert.notEqual(contentHash(-0), contentHash(0));
  assert.notEqual(contentHash(["ab", "c"]), contentHash(["a", "bc"]));
  assert.notEqual(contentHash(new Int32Array([1])), contentHash(new Uint32Array([1])));
  assert.equal(contentHash(new Float32Array([1, 2]).subarray(1)), contentHash(new Float32Array([2])));
});

Deno.test("contentHash refuses values without a stable content (dates, maps, functions)", () => {
  assert.throws(() => contentHash({ when: new Date(0) }), /Cannot hash stage inputs: value\.when is a Date/);
  assert.throws(() => contentHash([new Map()]), /value\[0\] is a Map/);
  assert.throws(() => contentHash(() => 1), /is a function/);
});
