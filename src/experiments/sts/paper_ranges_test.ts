import assert from "node:assert/strict";
import { parseLayerRanges, rangeLayers } from "../layer_ranges.ts";
import { paperStsRanges } from "./paper_ranges.ts";

Deno.test("paperStsRanges: llama_sts.py's range(12|16|20, L - 2) and range(12|16|20, L), end-exclusive", () => {
  assert.deepEqual(paperStsRanges(32), ["12-29", "12-31", "16-29", "16-31", "20-29", "20-31"]);
  assert.deepEqual(paperStsRanges(40), ["12-37", "12-39", "16-37", "16-39", "20-37", "20-39"]);
  assert.deepEqual(paperStsRanges(28), ["12-25", "12-27", "16-25", "16-27", "20-25", "20-27"]);
  // The layers each spec covers are exactly Python's list(range(a, b)).
  const pyRange = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
  const want = [[12, 30], [12, 32], [16, 30], [16, 32], [20, 30], [20, 32]].map(([a, b]) => pyRange(a, b));
  assert.deepEqual(parseLayerRanges(paperStsRanges(32), 32).map(rangeLayers), want);
  assert.throws(() => paperStsRanges(5), /Cannot derive the paper's STS ranges: 5 layers/);
});
