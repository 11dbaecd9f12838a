import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
import { describeGraph } from "./describe.ts";
import { Graph } from "./graph.ts";
import * as op from "./ops.ts";
import { addToState, loop } from "./loop.ts";
import { hostTensor } from "./session.ts";
import { assertThrowsMsg } from "../../test/fixtures/assert.ts";
import { runGraph } from "../../test/fixtures/onnx.ts";
import { randomF64 } from "../../test/fixtures/random.ts";

/**
 * The body slices iteration i of an outer input, reads an outer weight, carries a state that starts as a [1, 1]
 * zero (or a given full-size prior) and grows to [P, Q] by broadcasting, and emits a per-iteration output:
 * state' = state + |a_iᵀ·b_i| ⊙ w, out_i = Σ a_i². Checked against plain float64 loops; float64 throughout, so
 * only summation order differs (1e-12).
 */
Deno.test("Loop: sliced inputs, a state that grows from [1, 1], outer weights and stacked outputs match a direct loop", async () => {
  const [N, T, P, Q] = [3, 4, 2, 5];
  const g = new Graph("loop");
  const a = g.input("a", "float64", ["N", "T", P]);
  const b = g.input("b", "float64", ["N", "T", Q]);
  const init = g.input("init", "float64", ["r", "c"]);
  const wData = randomF64(P * Q, 7);
  const w = g.initializer("w", { dtype: "float64", shape: [P, Q], data: wData });
  const trips = op.squeeze(g.dimTensor("N"), [0]);
  const { states: [sum], outputs: [sq] } = g.scope("acc", () =>
    loop(trips, [init], (i, [s]) => {
      const ai = op.gather(a, i, 0), bi = op.gather(b, i, 0);
      assertEquals(ai.shape, ["T", P]);
      const prod = op.gemm(ai, bi, { transA: true }); // [P, Q]
      return {
        states: [addToState(s, op.mul(op.abs(prod), w))],
        outputs: [op.reduceSumSquare(ai, [0, 1], { keepdims: false })],
      };
    }, { stateShapes: [["r", "c"]], tripDim: "N" }));
  assertEquals(sq.shape, ["N"]);
  g.output(sum, "sum");
  g.output(sq, "sq");
  assert(describeGraph(g).includes("body=<graph loop/Loop.body"), describeGraph(g));
  assertEquals(g.nodes.find((n) => n.opType === "Loop")!.name, "acc/Loop");
  // The slicing Gathers read outer values with a body index: they belong to the body.
  assert(!g.nodes.some((n) => n.opType === "Gather"), "a Gather of the body landed in the outer graph");

  const aData = randomF64(N * T * P, 1), bData = randomF64(N * T * Q, 2), prior = randomF64(P * Q, 3);
  const want = (start: Float64Array) => {
    const sum = Float64Array.from(start), sq = new Float64Array(N);
    for (let n = 0; n < N; n++) {
      for (let p = 0; p < P; p++) {
        for (let q = 0; q < Q; q++) {
          let dot = 0;
          for (let t = 0; t < T; t++) dot += aData[(n * T + t) * P + p] * bData[(n * T + t) * Q + q];
          sum[p * Q + q] += Math.abs(dot) * wData[p * Q + q];
        }
      }
      for (let i = 0; i < T * P; i++) sq[n] += aData[n * T * P + i] ** 2;
    }
    return { sum, sq };
  };
  const feeds = { a: hostTensor("float64", [N, T, P], aData), b: hostTensor("float64", [N, T, Q], bData) };
  for (
    const [label, start, initTensor] of [
      ["from a [1, 1] zero", new Float64Array(P * Q), hostTensor("float64", [1, 1], new Float64Array(1))],
      ["from a full-size prior", prior, hostTensor("float64", [P, Q], prior)],
    ] as const
  ) {
    const out = await runGraph(g, { ...feeds, init: initTensor });
    const ref = want(start);
    assertEquals(out.sum.dims, [P, Q], label);
    assertEquals(out.sq.dims, [N], label);
    (out.sum.data as Float64Array).forEach((v, i) =>
      assert(Math.abs(v - ref.sum[i]) <= 1e-12, `${label}: sum[${i}]`)
    );
    (out.sq.data as Float64Array).forEach((v, i) =>
      assert(Math.abs(v - ref.sq[i]) <= 1e-12, `${label}: sq[${i}]`)
    );
  }
});

Deno.test("Loop rejects a non-scalar trip count, a wrong number of states and a changed state dtype", () => {
  const g = new Graph("bad");
  const x = g.input("x", "float32", [2]);
  const n = g.constant(2, { dtype: "int64" });
  assertThrowsMsg(
    () => loop(g.constant([2], { dtype: "int64" }), [x], (_, s) => ({ states: s })),
    "int64 scalar",
  );
  assertThrowsMsg(() => loop(n, [x], () => ({ states: [] })), "returns 0 states for 1");
  assertThrowsMsg(() => loop(n, [x], (_, [s]) => ({ states: [op.cast(s, "float64")] })), "enters as float32");
});
