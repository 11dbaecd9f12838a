import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
import { describeGraph } from "./describe.ts";
import { Graph } from "./graph.ts";
import * as op from "./ops.ts";
import { scan } from "./scan.ts";
import { hostTensor } from "./session.ts";
import { assertThrowsMsg, randomF64, runGraph } from "./_test_util.ts";

/**
 * The body reads an outer weight, carries a state and emits a per-iteration output, with a symbolic scan
 * length and a symbolic slice dim: state' = state + |aᵀ·b| ⊙ w (Gemm with transA), out = Σ a² (ReduceSumSquare).
 * Checked against plain float64 loops; float64 throughout, so only summation order differs (1e-12).
 */
Deno.test("Scan over a batch: state, per-iteration outputs and outer-scope values match a direct loop", async () => {
  const [N, T, P, Q] = [3, 4, 2, 5];
  const g = new Graph("scan");
  const a = g.input("a", "float64", ["N", "T", P]);
  const b = g.input("b", "float64", ["N", "T", Q]);
  const wData = randomF64(P * Q, 7);
  const w = g.initializer("w", { dtype: "float64", shape: [P, Q], data: wData });
  const zero = op.cast(op.mul(g.dimTensor("N"), 0), "float64");
  const init = op.expand(zero, [P, Q]);
  const { states: [sum], outputs: [sq] } = g.scope("acc", () =>
    scan([init], [a, b], ([s], [ai, bi]) => {
      assertEquals(ai.shape, ["T", P]);
      const prod = op.gemm(ai, bi, { transA: true }); // [P, Q]
      return {
        states: [op.add(s, op.mul(op.abs(prod), w))],
        outputs: [op.reduceSumSquare(ai, [0, 1], { keepdims: false })],
      };
    }));
  assertEquals(sum.shape, [P, Q]);
  assertEquals(sq.shape, ["N"]);
  g.output(sum, "sum");
  g.output(sq, "sq");
  assert(describeGraph(g).includes("body=<graph scan/Scan.body"), describeGraph(g));
  assertEquals(g.nodes.find((n) => n.opType === "Scan")!.name, "acc/Scan");

  const aData = randomF64(N * T * P, 1), bData = randomF64(N * T * Q, 2);
  const out = await runGraph(g, {
    a: hostTensor("float64", [N, T, P], aData),
    b: hostTensor("float64", [N, T, Q], bData),
  });
  const want = new Float64Array(P * Q), wantSq = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    for (let p = 0; p < P; p++) {
      for (let q = 0; q < Q; q++) {
        let dot = 0;
        for (let t = 0; t < T; t++) dot += aData[(n * T + t) * P + p] * bData[(n * T + t) * Q + q];
        want[p * Q + q] += Math.abs(dot) * wData[p * Q + q];
      }
    }
    for (let i = 0; i < T * P; i++) wantSq[n] += aData[n * T * P + i] ** 2;
  }
  assertEquals(out.sum.dims, [P, Q]);
  assertEquals(out.sq.dims, [N]);
  (out.sum.data as Float64Array).forEach((v, i) => assert(Math.abs(v - want[i]) <= 1e-12, `sum[${i}]`));
  (out.sq.data as Float64Array).forEach((v, i) => assert(Math.abs(v - wantSq[i]) <= 1e-12, `sq[${i}]`));

  // (onnxruntime 1.30 rejects a Scan over zero slices; callers never scan an empty batch.)
});

Deno.test("Scan checks its operands; subgraphs see enclosing values but not the other way round", () => {
  const g = new Graph("t");
  const a = g.input("a", "float32", ["N", 2]);
  const b = g.input("b", "float32", ["M", 2]);
  const s = g.input("s", "float32", [2]);
  assertThrowsMsg(() => scan([s], [a, b], ([x]) => ({ states: [x] })), "differ in length");
  assertThrowsMsg(() => scan([s], [a], ([x]) => ({ states: [op.unsqueeze(x, [0])] })), "state 0 enters as");
  assertThrowsMsg(() => scan([s], [a], () => ({ states: [] })), "returns 0 states for 1");
  let inner: ReturnType<typeof op.abs> | undefined;
  scan([s], [a], ([x], [row]) => {
    inner = op.abs(row);
    return { states: [op.add(s, op.add(x, inner))] }; // outer s first: the node still goes into the body
  });
  assertEquals(inner!.graph.parent, g);
  assertThrowsMsg(
    () => g.node("Identity", [inner!], {}, { outputs: [inner!] }),
    "not t or a graph enclosing it",
  );
});
