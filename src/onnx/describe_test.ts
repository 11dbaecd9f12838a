import { deepStrictEqual as assertEquals } from "node:assert";
import { describeGraph } from "./describe.ts";
import { Graph } from "./graph.ts";
import * as op from "./ops.ts";

Deno.test("describeGraph prints one line per node with dtypes and shapes", () => {
  const g = new Graph("demo");
  const x = g.input("x", "float32", ["B", 4]);
  g.output(g.scope("head", () => op.reduceSum(op.mul(x, 2), [1])), "y");
  assertEquals(describeGraph(g).split("\n"), [
    "graph demo: 3 nodes",
    "input  x: float32[B, 4]",
    "initializers: 2 inline (12 bytes), 0 external",
    "head/Mul  Mul  x: float32[B, 4], const/float32/2: float32[] → head/Mul: float32[B, 4]",
    "head/ReduceSum  ReduceSum{keepdims=1}  head/Mul: float32[B, 4], const/int64[1]/1: int64[1] → head/ReduceSum: float32[B, 1]",
    "output/y  Identity  head/ReduceSum: float32[B, 1] → y: float32[B, 1]",
    "output y = y: float32[B, 1]",
  ]);
});
