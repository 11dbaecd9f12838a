import { deepStrictEqual as assertEquals, ok } from "node:assert";
import type { DType, TypedArray } from "./dtype.ts";
import { Graph, type Value } from "./graph.ts";
import * as op from "./ops.ts";
import { hostTensor } from "./session.ts";
import { assertThrowsMsg } from "../../test/fixtures/assert.ts";
import { evalDim, runGraph } from "../../test/fixtures/onnx.ts";
import { randomF64 } from "../../test/fixtures/random.ts";

const ENV = { B: 2, T: 3 };

interface Case {
  name: string;
  inputs: { name: string; dtype?: DType; shape: (number | string)[]; data?: TypedArray }[];
  build: (g: Graph, xs: Value[]) => Value;
  /** Expected output values (independent computation on the same inputs). */
  expect?: (xs: number[][]) => number[];
}

const inc = (n: number) => Float64Array.from({ length: n }, (_, i) => i);

/** Row-major reference for batched matmul with numpy broadcasting of leading dims. */
function refMatmul(a: number[], as: number[], b: number[], bs: number[]): number[] {
  const [m, k] = as.slice(-2), n = bs[bs.length - 1];
  const batch = Math.max(as.length, bs.length) - 2;
  const pad = (s: number[]) => [...Array(batch + 2 - s.length).fill(1), ...s];
  const pa = pad(as), pb = pad(bs);
  const outB = pa.slice(0, batch).map((d, i) => Math.max(d, pb[i]));
  const nb = outB.reduce((p, d) => p * d, 1);
  const out: number[] = [];
  for (let bi = 0; bi < nb; bi++) {
    let rem = bi, offA = 0, offB = 0, strideA = m * k, strideB = k * n;
    for (let ax = batch - 1; ax >= 0; ax--) {
      const idx = rem % outB[ax];
      rem = Math.floor(rem / outB[ax]);
      offA += (pa[ax] === 1 ? 0 : idx) * strideA;
      offB += (pb[ax] === 1 ? 0 : idx) * strideB;
      strideA *= pa[ax];
      strideB *= pb[ax];
    }
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let t = 0; t < k; t++) s += a[offA + i * k + t] * b[offB + t * n + j];
        out.push(s);
      }
    }
  }
  return out;
}

const CASES: Case[] = [
  {
    name: "Add broadcasts a number and a row",
    inputs: [{ name: "x", shape: ["B", "T", 2] }, { name: "r", shape: [2] }],
    build: (_g, [x, r]) => op.add(op.mul(x, 2), r),
    expect: ([x, r]) => x.map((v, i) => 2 * v + r[i % 2]),
  },
  {
    name: "Sub, Div, Max, Min elementwise",
    inputs: [{ name: "x", shape: [2, 3] }, { name: "y", shape: [1, 3] }],
    build: (_g, [x, y]) =>
      op.add(
        op.add(op.sub(x, y), op.div(x, op.add(op.abs(y), 1))),
        op.add(op.max(x, y), op.min(op.mul(op.abs(x), op.abs(x)), y)),
      ),
    expect: ([x, y]) =>
      x.map((v, i) => {
        const w = y[i % 3];
        return (v - w) + v / (Math.abs(w) + 1) + Math.max(v, w) + Math.min(Math.abs(v) ** 2, w);
      }),
  },
  {
    name: "unary ops",
    inputs: [{ name: "x", shape: [5], data: Float64Array.from([0.5, 1.5, 2, 0.25, 3]) }],
    build: (_g, [x]) =>
      op.concat([
        op.sqrt(x),
        op.exp(x),
        op.log(x),
        op.neg(x),
        op.sign(op.sub(x, 1)),
        op.reciprocal(x),
        op.sigmoid(x),
      ], 0),
    expect: ([x]) => [
      ...x.map(Math.sqrt),
      ...x.map(Math.exp),
      ...x.map(Math.log),
      ...x.map((v) => -v),
      ...x.map((v) => Math.sign(v - 1)),
      ...x.map((v) => 1 / v),
      ...x.map((v) => 1 / (1 + Math.exp(-v))),
    ],
  },
  {
    name: "MatMul [B,T,3]×[3,2]",
    inputs: [{ name: "a", shape: ["B", "T", 3] }, { name: "b", shape: [3, 2] }],
    build: (_g, [a, b]) => op.matmul(a, b),
    expect: ([a, b]) => refMatmul(a, [2, 3, 3], b, [3, 2]),
  },
  {
    name: "MatMul [B,2,T,2]×[B,1,2,T] broadcasts heads",
    inputs: [{ name: "a", shape: ["B", 2, "T", 2] }, { name: "b", shape: ["B", 1, 2, "T"] }],
    build: (_g, [a, b]) => op.matmul(a, b),
    expect: ([a, b]) => refMatmul(a, [2, 2, 3, 2], b, [2, 1, 2, 3]),
  },
  {
    name: "ReduceSum/Mean/Max with and without keepdims",
    inputs: [{ name: "x", shape: ["B", "T"] }],
    build: (_g, [x]) =>
      op.concat([
        op.reduceSum(x, [1], { keepdims: false }),
        op.reduceMean(x, [-1], { keepdims: false }),
        op.reduceMax(op.reduceMax(x, [0, 1]), [0, 1], { keepdims: false }) &&
        op.reduceMax(x, [1], { keepdims: false }),
      ], 0),
    expect: ([x]) => {
      const rows = [x.slice(0, 3), x.slice(3)];
      return [
        ...rows.map((r) => r.reduce((a, b) => a + b)),
        ...rows.map((r) => r.reduce((a, b) => a + b) / 3),
        ...rows.map((r) => Math.max(...r)),
      ];
    },
  },
  {
    name: "Softmax over the last axis",
    inputs: [{ name: "x", shape: ["B", "T"] }],
    build: (_g, [x]) => op.softmax(x),
    expect: ([x]) =>
      [0, 1].flatMap((r) => {
        const row = x.slice(3 * r, 3 * r + 3),
          m = Math.max(...row),
          e = row.map((v) => Math.exp(v - m)),
          s = e.reduce((a, b) => a + b);
        return e.map((v) => v / s);
      }),
  },
  {
    name: "Transpose and Reshape with symbolic dims (copy, −1, products)",
    inputs: [{ name: "x", shape: ["B", "T", 4], data: inc(24) }],
    build: (_g, [x]) => {
      const h = op.reshape(x, ["B", "T", 2, 2]);
      const t = op.transpose(h, [0, 2, 1, 3]); // [B,2,T,2]
      return op.reshape(op.transpose(t, [0, 2, 1, 3]), ["B*T", 4]);
    },
    expect: ([x]) => x,
  },
  {
    name: "Reshape to two fresh symbols reads them from input shapes",
    inputs: [{ name: "x", shape: ["B*T", 2], data: inc(12) }, {
      name: "ids",
      dtype: "int64",
      shape: ["B", "T"],
    }],
    build: (_g, [x]) => op.reshape(x, ["B", "T", 2]),
    expect: ([x]) => x,
  },
  {
    name: "Unsqueeze, Squeeze, Expand",
    inputs: [{ name: "x", shape: ["T"] }, { name: "y", shape: ["B", 1] }],
    build: (_g, [x, y]) =>
      op.add(op.expand(op.unsqueeze(x, [0, 2]), ["B", "T", 2]), op.unsqueeze(op.squeeze(y, [1]), [1, 2])),
    expect: ([x, y]) => [0, 1].flatMap((b) => [0, 1, 2].flatMap((t) => [x[t] + y[b], x[t] + y[b]])),
  },
  {
    name: "Slice last position and a strided static range",
    inputs: [{ name: "x", shape: ["B", "T", 4], data: inc(24) }],
    build: (_g, [x]) =>
      op.slice(op.slice(x, { starts: [-1], ends: [op.SLICE_END], axes: [1] }), {
        starts: [0],
        ends: [4],
        axes: [2],
        steps: [2],
      }),
    expect: () => [8, 10, 20, 22],
  },
  {
    name: "Slice [0:-1] gives symbolic T-1",
    inputs: [{ name: "x", shape: ["B", "T"], data: inc(6) }],
    build: (_g, [x]) => op.slice(x, { starts: [0], ends: [-1], axes: [1] }),
    expect: () => [0, 1, 3, 4],
  },
  {
    name: "Gather rows by ids, GatherElements along the last axis",
    inputs: [
      { name: "emb", shape: [4, 2], data: inc(8) },
      { name: "ids", dtype: "int64", shape: ["B", "T"], data: new BigInt64Array([3n, 0n, 1n, 1n, 2n, 3n]) },
    ],
    build: (_g, [emb, ids]) => {
      const rows = op.gather(emb, ids, 0); // [B,T,2]
      const pick = op.gatherElements(
        rows,
        op.unsqueeze(op.slice(ids, { starts: [0], ends: [1], axes: [1] }), [2]),
        2,
      );
      return op.concat([op.reshape(rows, [-1]), op.reshape(pick, [-1])], 0);
    },
    // pick: for batch b, position 0, id = ids[b][0] ∈ {3, 1} → index ids%… must be < 2: ids 3 and 1 → use mod below
    expect: undefined,
  },
  {
    name: "Where, Equal, Less, Greater, Not, And",
    inputs: [{ name: "x", shape: [4], data: Float64Array.from([-1, 0, 2, 3]) }],
    build: (g, [x]) =>
      op.where(
        op.and(op.not(op.less(x, 0)), op.greater(x, 0)),
        x,
        op.where(op.equal(x, 0), g.constant(10, { dtype: "float64" }), -10),
      ),
    expect: () => [-10, 10, 2, 3],
  },
  {
    name: "Cast, Shape, Size, Range, ConstantOfShape, CumSum",
    inputs: [{ name: "x", shape: ["B", "T"], data: Float64Array.from([1, 5, 2, 7, 0, 3]) }],
    build: (g, [x]) => {
      const parts = [
        op.cast(op.shape(x), "float64"), // 2, 3
        op.cast(op.unsqueeze(op.size(x), [0]), "float64"), // 6
        op.arange(g, "T", "float64"), // 0 1 2
        op.constantOfShape(g, ["T"], 1, "float64"), // 1 1 1
        op.reshape(op.cumSum(x, 1, { reverse: true }), [-1]),
      ];
      return op.concat(parts, 0);
    },
    expect: () => [2, 3, 6, 0, 1, 2, 1, 1, 1, 8, 7, 2, 10, 3, 3],
  },
  {
    name: "Split into symbolic and static pieces",
    inputs: [{ name: "x", shape: ["B", "T", 3], data: inc(18) }],
    build: (_g, [x]) => {
      const [a, b] = op.split(x, [1, 2], 2);
      return op.concat([b, a], 2);
    },
    expect: ([x]) => [0, 1, 2, 3, 4, 5].flatMap((r) => [x[3 * r + 1], x[3 * r + 2], x[3 * r]]),
  },
];

// Fix the gather case's expectation: indices for GatherElements must be < 2, so use ids mod 2 data.
CASES.find((c) => c.name.startsWith("Gather"))!.inputs[1].data = new BigInt64Array([1n, 0n, 1n, 1n, 0n, 1n]);
CASES.find((c) => c.name.startsWith("Gather"))!.expect = () => {
  const emb = [0, 1, 2, 3, 4, 5, 6, 7];
  const ids = [1, 0, 1, 1, 0, 1];
  const rows = ids.flatMap((i) => [emb[2 * i], emb[2 * i + 1]]);
  // pick: batch b, every t, element at index ids[b][0] of rows[b][t]
  const pick = [0, 1].flatMap((b) => [0, 1, 2].map((t) => rows[(b * 3 + t) * 2 + ids[b * 3]]));
  return [...rows, ...pick.filter((_, i) => i % 3 === 0)];
};

for (const c of CASES) {
  Deno.test(`op ${c.name}: inferred shape matches onnxruntime, values match reference`, async () => {
    const g = new Graph("t");
    const xs = c.inputs.map((i) => g.input(i.name, i.dtype ?? "float64", i.shape));
    const y = c.build(g, xs);
    g.output(y, "out");
    const feeds = Object.fromEntries(c.inputs.map((i, k) => {
      const dims = i.shape.map((d) => evalDim(d, ENV));
      const n = dims.reduce((a, b) => a * b, 1);
      const dtype = i.dtype ?? "float64";
      const data = i.data ?? (dtype === "int64" ? new BigInt64Array(n) : randomF64(n, 100 + k));
      return [i.name, hostTensor(dtype, dims, data)];
    }));
    const out = (await runGraph(g, feeds)).out;
    assertEquals(out.dims, y.shape.map((d) => evalDim(d, ENV)), `shape ${y.shape.join(",")}`);
    if (c.expect) {
      const xsData = c.inputs.map((i) =>
        Array.from(feeds[i.name].data as ArrayLike<number | bigint>, Number)
      );
      const want = c.expect(xsData);
      const got = Array.from(out.data as Float64Array);
      assertEquals(got.length, want.length);
      // float64 results of a few flops each: 1e-12 absolute covers rounding.
      got.forEach((v, i) =>
        ok(Math.abs(v - want[i]) <= 1e-12 * (1 + Math.abs(want[i])), `element ${i}: ${v} vs ${want[i]}`)
      );
    }
  });
}

Deno.test("op builders reject bad operands with named errors", () => {
  const g = new Graph("t");
  const a = g.input("a", "float32", ["B", 3]);
  const b = g.input("b", "float32", [4, 2]);
  const i = g.input("i", "int64", [2]);
  assertThrowsMsg(() => op.matmul(a, b), "inner dims differ");
  assertThrowsMsg(() => op.add(a, i), "operand dtypes differ");
  assertThrowsMsg(() => op.add(a, b), "differ at axis");
  assertThrowsMsg(() => op.reshape(a, [5, 7]), "");
  assertThrowsMsg(() => op.squeeze(a, [1]), "axis 1 of a");
  assertThrowsMsg(() => op.reduceSum(a, []), "at least one axis");
  assertThrowsMsg(() => op.transpose(a, [0, 2]), "out of range");
  assertThrowsMsg(() => op.sqrt(i), "floating-point");
  assertThrowsMsg(() => op.reshape(op.identity(b), [3, 3]), "element count differs");
});
