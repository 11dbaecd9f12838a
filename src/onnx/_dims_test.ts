import { deepStrictEqual as assertEquals } from "node:assert";
import { assertThrowsMsg } from "../../test/fixtures/assert.ts";
import { broadcastShapes, canonDim, dimDivide, dimEq, dimProduct } from "./_dims.ts";

Deno.test("symbolic dims: canonical products, division, equality", () => {
  assertEquals(canonDim("seq*batch"), "batch*seq");
  assertEquals(dimProduct(["batch", 4, "seq", 2]), "8*batch*seq");
  assertEquals(dimProduct([3, 5]), 15);
  assertEquals(dimDivide("8*batch*seq", "seq"), "8*batch");
  assertEquals(dimDivide("8*batch*seq", "4*batch*seq"), 2);
  assertEquals(dimDivide("batch", "seq"), undefined);
  assertEquals(dimDivide(6, 4), undefined);
  assertEquals(dimEq("b*a", "a*b"), true);
});

Deno.test("broadcastShapes aligns right, stretches 1s and rejects mismatches", () => {
  assertEquals(broadcastShapes(["B", "T", 4], [4], "t"), ["B", "T", 4]);
  assertEquals(broadcastShapes(["B", 1, "T"], [3, 1], "t"), ["B", 3, "T"]);
  assertEquals(broadcastShapes([1], ["T"], "t"), ["T"]);
  assertThrowsMsg(() => broadcastShapes([2], [3], "Add"), "differ at axis 0");
  assertThrowsMsg(() => broadcastShapes(["B"], ["T"], "Add"), "B vs T");
});
