import { deepStrictEqual as assertEquals, ok } from "node:assert";
import { Graph } from "../graph.ts";
import * as op from "../ops.ts";
import { hostTensor } from "../session.ts";
import { assertThrowsMsg } from "../../../test/fixtures/assert.ts";
import { runGraph } from "../../../test/fixtures/onnx.ts";
import { gradients } from "./gradients.ts";
import { GRADIENT_RULES } from "./gradient_rules.ts";

const f64 = (...v: number[]) => Float64Array.from(v);

Deno.test("a missing rule on the path names the op and node; off the path it is ignored", () => {
  const g = new Graph("t");
  const x = g.input("x", "float64", [2]);
  const w = g.input("w", "float64", [2]);
  const erf = g.scope(
    "act",
    () => g.node("Erf", [x], {}, { outputs: [{ dtype: "float64", shape: [2] }] })[0],
  );
  const y = op.add(op.mul(erf, w), w);
  assertThrowsMsg(
    () => gradients(g, y, [x]),
    'Cannot differentiate: no gradient rule for op "Erf" (node act/Erf)',
  );
  gradients(g, y, [w]); // Erf only feeds a non-differentiated branch
});

Deno.test("gradients w.r.t. an intermediate value, an unrelated value, and with the default seed", async () => {
  const g = new Graph("t");
  const x = g.input("x", "float64", ["B", 2]);
  const w = g.input("w", "float64", [2]);
  const u = g.input("u", "float64", [3]);
  const h = op.mul(x, w); // [B,2]
  const y = op.reduceSum(op.mul(h, h), [0, 1], { keepdims: false }); // Σ h²
  const [dh, dw, du] = gradients(g, y, [h, w, u]);
  g.output(dh, "dh");
  g.output(dw, "dw");
  g.output(du, "du");
  const out = await runGraph(g, {
    x: hostTensor("float64", [2, 2], f64(1, 2, 3, 4)),
    w: hostTensor("float64", [2], f64(0.5, -1)),
    u: hostTensor("float64", [3], f64(1, 1, 1)),
  });
  // h = [[0.5, -2], [1.5, -4]]; dh = 2h; dw_j = Σ_b 2 h_bj x_bj = [2(0.5·1 + 1.5·3), 2(−2·2 − 4·4)].
  assertEquals(Array.from(out.dh.data as Float64Array), [1, -4, 3, -8]);
  assertEquals(Array.from(out.dw.data as Float64Array), [10, -40]);
  assertEquals(Array.from(out.du.data as Float64Array), [0, 0, 0]);
});

Deno.test("tie convention: ReduceMax splits the gradient equally among the maxima", async () => {
  const g = new Graph("t");
  const x = g.input("x", "float64", [4]);
  const [dx] = gradients(g, op.reduceMax(x, [0]), [x]);
  g.output(dx, "dx");
  const out = await runGraph(g, { x: hostTensor("float64", [4], f64(1, 3, 3, 2)) });
  assertEquals(Array.from(out.dx.data as Float64Array), [0, 0.5, 0.5, 0]);
});

Deno.test("the walker checks seeds, y's dtype, and the dtype and shape a rule returns", () => {
  const g = new Graph("t");
  const x = g.input("x", "float64", [2, 3]);
  const ids = g.input("ids", "int64", [2]);
  const y = op.neg(x);
  assertThrowsMsg(() => gradients(g, y, [x], { seed: g.input("s", "float64", [3, 2]) }), "does not match y");
  assertThrowsMsg(() => gradients(g, op.neg(ids), [x]), "is not floating-point");
  const saved = GRADIENT_RULES.Neg;
  try {
    GRADIENT_RULES.Neg = ({ dy }) => ({ 0: () => op.cast(dy, "float32") });
    assertThrowsMsg(() => gradients(g, op.neg(x), [x]), "has dtype float32, not float64");
    GRADIENT_RULES.Neg = ({ dy }) => ({ 0: () => op.transpose(dy, [1, 0]) });
    assertThrowsMsg(() => gradients(g, op.neg(x), [x]), "does not fit input x");
  } finally {
    GRADIENT_RULES.Neg = saved;
  }
});

Deno.test("backward nodes are standard ops under grad/, and a weight gradient is one 2-D GEMM", () => {
  const g = new Graph("t");
  const x = g.input("x", "float32", ["B", "T", 8]);
  const w = g.initializer("w", { dtype: "float32", shape: [8, 4], data: new Float32Array(32) });
  const y = g.scope("layers.0/q_proj", () => op.matmul(x, w));
  const before = g.nodes.length;
  const [dw] = gradients(g, y, [w]);
  const back = g.nodes.slice(before);
  ok(back.every((n) => n.name.startsWith("grad/")), back.map((n) => n.name).join(", "));
  const standard = new Set(["MatMul", "Transpose", "Reshape", "Shape", "ConstantOfShape", "ReduceSum"]);
  ok(back.every((n) => standard.has(n.opType)), back.map((n) => n.opType).join(", "));
  // No [B, 8, 4] per-batch weight-sized intermediate: every backward value has rank ≤ 3 and the GEMM is 2-D.
  const mm = back.filter((n) => n.opType === "MatMul");
  assertEquals(mm.map((n) => n.outputs[0].shape), [[8, 4]]);
  assertEquals(dw.shape, [8, 4]);
  ok(mm[0].name.startsWith("grad/layers.0/q_proj/MatMul/"), mm[0].name);
});
