import { deepStrictEqual as assertEquals } from "node:assert";
import { Graph } from "./graph.ts";
import * as op from "./ops.ts";
import { hostTensor } from "./session.ts";
import { assertThrowsMsg } from "../../test/fixtures/assert.ts";
import { runGraph } from "../../test/fixtures/onnx.ts";

Deno.test("node names follow scopes and are made unique", () => {
  const g = new Graph("t");
  const x = g.input("x", "float32", ["B", 4]);
  const w = g.initializer("layers.3.q.weight", {
    dtype: "float32",
    shape: [4, 4],
    data: new Float32Array(16),
  });
  const y = g.scope(
    "layers.3",
    () => g.scope("attn", () => g.scope("q_proj", () => op.matmul(op.matmul(x, w), w))),
  );
  assertEquals(g.nodes.map((n) => n.name), ["layers.3/attn/q_proj/MatMul", "layers.3/attn/q_proj/MatMul_2"]);
  assertEquals(y.name, "layers.3/attn/q_proj/MatMul_2");
  assertEquals(g.scopePath, "");
  const named = g.node("Identity", [y], {}, { outputs: [y], name: "copy" })[0];
  assertEquals(named.name, "copy");
});

Deno.test("small constants are shared; duplicate input names are rejected", () => {
  const g = new Graph("t");
  const x = g.input("x", "float32", [2]);
  const a = op.add(x, 1), b = op.mul(x, 1);
  assertEquals(a.producer!.inputs[1], b.producer!.inputs[1]);
  assertEquals(g.initializers.length, 1);
  assertThrowsMsg(() => g.input("x", "float32", [2]), "already taken");
  assertThrowsMsg(
    () => g.initializer("w", { dtype: "float32", shape: [3], data: new Float32Array(2) }),
    "needs 3 elements",
  );
  assertThrowsMsg(() => op.add(x, new Graph("other").input("y", "float32", [2])), "belongs to graph other");
});

Deno.test("dimTensor and shapeTensor compute symbolic dims at run time", async () => {
  const g = new Graph("t");
  g.input("ids", "int64", ["B", "T"]);
  g.output(g.shapeTensor(["B", 7, "B*T", "T"]), "s");
  assertThrowsMsg(() => g.dimTensor("H"), 'dim "H"');
  const out = await runGraph(g, { ids: hostTensor("int64", [2, 5], new BigInt64Array(10)) });
  assertEquals(Array.from(out.s.data as BigInt64Array, Number), [2, 7, 10, 5]);
});

Deno.test("output renames through Identity; the same value can be two outputs", async () => {
  const g = new Graph("t");
  const x = g.input("x", "float64", [2]);
  const y = op.neg(x);
  g.output(y, "a");
  g.output(y, "b");
  const out = await runGraph(g, { x: hostTensor("float64", [2], Float64Array.from([1, -2])) });
  assertEquals(Array.from(out.a.data as Float64Array), [-1, 2]);
  assertEquals(Array.from(out.b.data as Float64Array), [-1, 2]);
});
