/** Tiny forward graphs, one or more per gradient rule, shared by the finite-difference test and device checks. */
import type { DType, TypedArray } from "../dtype.ts";
import type { Dim, Graph, Value } from "../graph.ts";
import * as op from "../ops.ts";

/** Values of the symbolic dims used by the cases. */
export const ENV = { B: 2, T: 3 };

/** One graph input of a case. */
export interface InputSpec {
  name: string;
  shape: Dim[];
  /** float in ±[0.25, 1] (default), positive float in [0.25, 1.5], or fixed data (ints, bools, or floats). */
  kind?: "float" | "pos";
  dtype?: DType;
  data?: TypedArray;
}

/** A forward graph whose gradient w.r.t. every float input is checked. */
export interface GradCase {
  name: string;
  inputs: InputSpec[];
  build: (g: Graph, xs: Value[]) => Value;
}

export const CASES: GradCase[] = [
  {
    name: "Add broadcasts both operands",
    inputs: [{ name: "a", shape: [2, 1, 3] }, { name: "b", shape: [4, 1] }],
    build: (_, [a, b]) => op.add(a, b),
  },
  {
    name: "Sub with a leading missing dim",
    inputs: [{ name: "a", shape: ["B", 3] }, { name: "b", shape: [3] }],
    build: (_, [a, b]) => op.sub(a, b),
  },
  {
    name: "Mul broadcasts a column",
    inputs: [{ name: "a", shape: [2, 3] }, { name: "b", shape: [2, 1] }],
    build: (_, [a, b]) => op.mul(a, b),
  },
  {
    name: "Div",
    inputs: [{ name: "a", shape: [2, 3] }, { name: "b", shape: [3], kind: "pos" }],
    build: (_, [a, b]) => op.div(a, b),
  },
  {
    name: "Pow with constant exponent",
    inputs: [{ name: "a", shape: [2, 3], kind: "pos" }],
    build: (_, [a]) => op.pow(a, 3),
  },
  {
    name: "Pow with variable exponent",
    inputs: [{ name: "a", shape: [2, 3], kind: "pos" }, { name: "p", shape: [3] }],
    build: (_, [a, p]) => op.pow(a, p),
  },
  {
    name: "Max and Min (broadcast)",
    inputs: [{ name: "a", shape: [2, 3] }, { name: "b", shape: [3] }],
    build: (_, [a, b]) => op.add(op.max(a, b), op.mul(op.min(a, b), 3)),
  },
  {
    name: "Neg, Exp, Tanh, Sigmoid, Identity",
    inputs: [{ name: "x", shape: [2, 3] }],
    build: (_, [x]) => op.concat([op.neg(x), op.exp(x), op.tanh(x), op.sigmoid(x), op.identity(x)], 0),
  },
  {
    name: "Sqrt, Log, Reciprocal",
    inputs: [{ name: "x", shape: [5], kind: "pos" }],
    build: (_, [x]) => op.concat([op.sqrt(x), op.log(x), op.reciprocal(x)], 0),
  },
  {
    name: "Abs and Sign",
    inputs: [{ name: "x", shape: [2, 3] }],
    build: (_, [x]) => op.add(op.abs(x), op.mul(op.sign(x), x)),
  },
  {
    name: "Cast float64→float64 and through int64 (zero gradient)",
    inputs: [{ name: "x", shape: [4], dtype: "float64", data: Float64Array.from([0.3, 1.6, -0.4, 2.2]) }],
    build: (_, [x]) => op.add(op.cast(x, "float64"), op.cast(op.cast(op.mul(x, 3), "int64"), "float64")),
  },
  {
    name: "Where with a broadcast mask",
    inputs: [{ name: "m", shape: [2, 1], dtype: "bool", data: Uint8Array.from([1, 0]) }, {
      name: "a",
      shape: [2, 3],
    }, { name: "b", shape: [3] }],
    build: (_, [m, a, b]) => op.where(m, a, b),
  },
  {
    name: "MatMul [2,3]×[3,4]",
    inputs: [{ name: "a", shape: [2, 3] }, { name: "b", shape: [3, 4] }],
    build: (_, [a, b]) => op.matmul(a, b),
  },
  {
    name: "Gemm [2,3]×[4,3]ᵀ (transB, the linear layers' form)",
    inputs: [{ name: "a", shape: [2, 3] }, { name: "b", shape: [4, 3] }],
    build: (_, [a, b]) => op.gemm(a, b, { transB: true }),
  },
  {
    name: "Gemm [3,2]ᵀ×[3,4] (transA)",
    inputs: [{ name: "a", shape: [3, 2] }, { name: "b", shape: [3, 4] }],
    build: (_, [a, b]) => op.gemm(a, b, { transA: true }),
  },
  {
    name: "Gemm [3,2]ᵀ×[4,3]ᵀ (transA and transB)",
    inputs: [{ name: "a", shape: [3, 2] }, { name: "b", shape: [4, 3] }],
    build: (_, [a, b]) => op.gemm(a, b, { transA: true, transB: true }),
  },
  {
    name: "Gemm [2,3]×[3,4]",
    inputs: [{ name: "a", shape: [2, 3] }, { name: "b", shape: [3, 4] }],
    build: (_, [a, b]) => op.gemm(a, b),
  },
  {
    name: "MatMul [B,T,3]×[3,2] (weight path)",
    inputs: [{ name: "a", shape: ["B", "T", 3] }, { name: "w", shape: [3, 2] }],
    build: (_, [a, w]) => op.matmul(a, w),
  },
  {
    name: "MatMul [B,2,T,2]×[B,2,2,T]",
    inputs: [{ name: "q", shape: ["B", 2, "T", 2] }, { name: "k", shape: ["B", 2, 2, "T"] }],
    build: (_, [q, k]) => op.matmul(q, k),
  },
  {
    name: "MatMul [2,1,3,2]×[2,2,3] (GQA-style broadcast)",
    inputs: [{ name: "a", shape: [2, 1, 3, 2] }, { name: "b", shape: [2, 2, 3] }],
    build: (_, [a, b]) => op.matmul(a, b),
  },
  {
    name: "MatMul [3,2]×[2,2,4] (rank-2 left)",
    inputs: [{ name: "a", shape: [3, 2] }, { name: "b", shape: [2, 2, 4] }],
    build: (_, [a, b]) => op.matmul(a, b),
  },
  {
    name: "ReduceSum keepdims and not",
    inputs: [{ name: "x", shape: ["B", "T", 2] }],
    build: (_, [x]) =>
      op.add(op.reduceSum(x, [1]), op.unsqueeze(op.reduceSum(x, [0, 1], { keepdims: false }), [0, 1])),
  },
  {
    name: "ReduceMean over static and symbolic axes",
    inputs: [{ name: "x", shape: ["B", "T", 2] }],
    build: (_, [x]) =>
      op.add(
        op.reduceMean(x, [2], { keepdims: false }),
        op.squeeze(op.reduceMean(op.reduceMean(x, [1]), [2]), [2]),
      ),
  },
  {
    name: "ReduceMax one axis",
    inputs: [{ name: "x", shape: [2, 4] }],
    build: (_, [x]) => op.reduceMax(x, [1], { keepdims: false }),
  },
  {
    name: "ReduceMax two axes keepdims",
    inputs: [{ name: "x", shape: [2, 2, 3] }],
    build: (_, [x]) => op.reduceMax(x, [0, 2]),
  },
  {
    name: "Softmax last axis and axis 1",
    inputs: [{ name: "x", shape: [2, 3, 2] }],
    build: (_, [x]) => op.add(op.softmax(x), op.softmax(x, 1)),
  },
  {
    name: "Transpose",
    inputs: [{ name: "x", shape: [2, 3, 4] }],
    build: (_, [x]) => op.transpose(x, [2, 0, 1]),
  },
  {
    name: "Reshape symbolic",
    inputs: [{ name: "x", shape: ["B", "T", 4] }],
    build: (_, [x]) => op.reshape(op.reshape(x, ["B", "T", 2, 2]), [-1, 2]),
  },
  { name: "Expand", inputs: [{ name: "x", shape: [3, 1] }], build: (_, [x]) => op.expand(x, [2, 3, 4]) },
  {
    name: "Unsqueeze and Squeeze",
    inputs: [{ name: "x", shape: [2, 1, 3] }],
    build: (_, [x]) => op.unsqueeze(op.squeeze(x, [1]), [0, 3]),
  },
  {
    name: "Concat static and symbolic",
    inputs: [{ name: "a", shape: ["B", "T"] }, { name: "b", shape: ["B", 2] }],
    build: (_, [a, b]) => op.mul(op.concat([a, b, a], 1), op.concat([b, a, a], 1)),
  },
  {
    name: "Split",
    inputs: [{ name: "x", shape: [2, 5] }],
    build: (_, [x]) => {
      const [a, b] = op.split(x, [2, 3], 1);
      return op.concat([op.mul(b, 2), op.exp(a)], 1);
    },
  },
  {
    name: "Split with an unused piece",
    inputs: [{ name: "x", shape: [2, 5] }],
    build: (_, [x]) => op.split(x, [2, 3], 1)[1],
  },
  {
    name: "Slice last position (symbolic dim)",
    inputs: [{ name: "x", shape: ["B", "T", 2] }],
    build: (_, [x]) => op.slice(x, { starts: [-1], ends: [op.SLICE_END], axes: [1] }),
  },
  {
    name: "Slice [1:-1] symbolic and [0:2] static",
    inputs: [{ name: "x", shape: ["B", "T", 3] }],
    build: (_, [x]) => op.slice(x, { starts: [1, 0], ends: [-1, 2], axes: [1, 2] }),
  },
  {
    name: "Gather embedding rows (repeated ids)",
    inputs: [{ name: "emb", shape: [5, 3] }, {
      name: "ids",
      shape: ["B", "T"],
      dtype: "int64",
      data: BigInt64Array.from([4n, 1n, 4n, 0n, 1n, 1n]),
    }],
    build: (_, [emb, ids]) => op.gather(emb, ids),
  },
  {
    name: "Gather along axis 1",
    inputs: [{ name: "x", shape: [2, 4, 3] }, {
      name: "i",
      shape: [3],
      dtype: "int64",
      data: BigInt64Array.from([3n, 0n, 3n]),
    }],
    build: (_, [x, i]) => op.gather(x, i, 1),
  },
  {
    name: "GatherElements (repeated indices)",
    inputs: [{ name: "x", shape: [2, 3] }, {
      name: "i",
      shape: [2, 4],
      dtype: "int64",
      data: BigInt64Array.from([0n, 2n, 2n, 1n, 1n, 1n, 0n, 2n]),
    }],
    build: (_, [x, i]) => op.gatherElements(x, i, 1),
  },
  {
    name: "Trilu lower with k and upper",
    inputs: [{ name: "x", shape: [2, 3, 3] }],
    build: (_, [x]) => op.add(op.trilu(x, { upper: false, k: -1 }), op.mul(op.trilu(x, { upper: true }), 2)),
  },
  {
    name: "CumSum forward, reverse, exclusive",
    inputs: [{ name: "x", shape: [2, 4] }],
    build: (_, [x]) => op.concat([op.cumSum(x, 1), op.cumSum(x, 1, { reverse: true, exclusive: true })], 0),
  },
  {
    name: "a value used twice and a chain (x·x + matmul(x, x))",
    inputs: [{ name: "x", shape: [3, 3] }],
    build: (_, [x]) => op.add(op.mul(x, x), op.matmul(x, x)),
  },
  {
    name: "softmax attention block (composed)",
    inputs: [{ name: "x", shape: ["B", "T", 4] }, { name: "wq", shape: [4, 4] }, {
      name: "wk",
      shape: [4, 4],
    }],
    build: (g, [x, wq, wk]) => {
      const q = op.matmul(x, wq), k = op.matmul(x, wk);
      const s = op.div(op.matmul(q, op.transpose(k, [0, 2, 1])), 2);
      const mask = op.trilu(op.constantOfShape(g, ["T", "T"], 1, "bool"), { upper: false });
      const p = op.softmax(op.where(mask, s, -1e9));
      return op.matmul(p, x);
    },
  },
];
