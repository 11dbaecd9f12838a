import assert from "node:assert/strict";
import {
  parseLayerRanges,
  parseLayerRangeSpec,
  parseLayerRangeSpecs,
  rangeLayers,
  resolveLayerRange,
  unionLayers,
} from "./layer_ranges.ts";

const span = (entry: string, L: number) => {
  const r = resolveLayerRange(parseLayerRangeSpec(entry), L);
  return [r.first, r.last];
};

Deno.test("absolute ranges are 0-based and include both ends", () => {
  assert.deepEqual(parseLayerRangeSpec("12-30"), { text: "12-30", kind: "absolute", start: 12, end: 30 });
  assert.deepEqual(span("12-30", 32), [12, 30]);
  assert.deepEqual(span(" 0-4 ", 5), [0, 4]);
  assert.deepEqual(span("3", 5), [3, 3]);
  assert.deepEqual(span("4-4", 5), [4, 4]);
  assert.deepEqual(rangeLayers({ label: "2-4", first: 2, last: 4 }), [2, 3, 4]);
});

Deno.test("fractions of depth take the layers whose depth interval [l/L, (l+1)/L) overlaps [f, g)", () => {
  // Hand-worked: L = 32, 0.5·32 = 16, 1.0·32 = 32 → layers 16..31.
  assert.deepEqual(span("0.5-1.0", 32), [16, 31]);
  // The paper's llama_sts.py ranges on Llama-2-7B: range(12, 30), range(16, 32), range(20, 30).
  assert.deepEqual(span("0.375-0.9375", 32), [12, 29]);
  assert.deepEqual(span("0.5-1", 32), [16, 31]);
  assert.deepEqual(span("0.625-0.9375", 32), [20, 29]);
  // L = 5: 0.5·5 = 2.5 lies in layer 2 ([0.4, 0.6)); 1.0·5 = 5 → last layer 4.
  assert.deepEqual(span("0.5-1.0", 5), [2, 4]);
  assert.deepEqual(span("0-1.0", 5), [0, 4]);
  assert.deepEqual(span(".2-.4", 5), [1, 1]); // exactly layer 1's interval
  assert.deepEqual(span("0.0-0.01", 5), [0, 0]); // a sliver still overlaps layer 0
  assert.deepEqual(span("0.39-0.41", 5), [1, 2]); // straddles the layer 1|2 boundary
  // 0.3·10 = 3.0000000000000004 and 0.7·10 = 7.000000000000001 in floating point: snapped to 3 and 7.
  assert.deepEqual(span("0.3-0.7", 10), [3, 6]);
  // 40 layers (Llama-2-13B): 0.5-1.0 → 20..39.
  assert.deepEqual(span("0.5-1.0", 40), [20, 39]);
  assert.equal(parseLayerRangeSpec("0.5-1.0").kind, "fraction");
});

Deno.test("a fraction range always selects at least one layer and never leaves the model", () => {
  for (const L of [1, 2, 3, 5, 7, 32, 40, 80]) {
    for (let i = 0; i < 20; i++) {
      for (let j = i + 1; j <= 20; j++) {
        const [first, last] = span(`${(i / 20).toFixed(2)}-${(j / 20).toFixed(2)}`, L);
        assert(0 <= first && first <= last && last < L, `L=${L} ${i / 20}-${j / 20}: ${first}..${last}`);
      }
    }
  }
});

Deno.test("malformed and out-of-range entries give errors naming the entry", () => {
  const rejects = (entry: string, pattern: RegExp) =>
    assert.throws(() => parseLayerRangeSpec(entry), pattern, entry);
  rejects("a-3", /Cannot parse --layers: "a-3" is not a layer range/);
  rejects("1-2-3", /"1-2-3" is not a layer range/);
  rejects("-1-3", /is not a layer range/);
  rejects("", /"" is not a layer range/);
  rejects("12-3", /"12-3" starts after it ends/);
  rejects("0.5", /single fraction/);
  rejects("0.5-1.5", /"0.5-1.5" has a fraction of depth above 1/);
  rejects("0.5-0.5", /"0.5-0.5" is empty/);
  rejects("0.7-0.2", /is empty/);
  assert.throws(
    () => resolveLayerRange(parseLayerRangeSpec("12-30"), 5),
    /Cannot parse --layers: "12-30" needs layer 30 but the model has 5 layers \(0-4\)/,
  );
  assert.throws(() => parseLayerRanges(["5"], 5), /needs layer 5 but the model has 5 layers/);
  assert.throws(() => parseLayerRangeSpecs([]), /no layer range given/);
  assert.throws(() => parseLayerRangeSpecs(["2-4", "0-1", "2-4"]), /"2-4" is listed twice/);
});

Deno.test("parseLayerRanges keeps the entries' order and labels; unionLayers merges them", () => {
  const ranges = parseLayerRanges(["0-4", "2-4", "0.5-1.0", "1"], 5);
  assert.deepEqual(ranges, [
    { label: "0-4", first: 0, last: 4 },
    { label: "2-4", first: 2, last: 4 },
    { label: "0.5-1.0", first: 2, last: 4 },
    { label: "1", first: 1, last: 1 },
  ]);
  assert.deepEqual(unionLayers(ranges.slice(1)), [1, 2, 3, 4]);
});
