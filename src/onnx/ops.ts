/**
 * Op builders: one free function per standard ONNX op (opset 21), each inferring its output dtype and
 * (symbolic) shape. Numbers are accepted where a scalar operand makes sense and become constants of the other
 * operand's dtype. Composite functions (SiLU, RMSNorm, masked softmax) belong to the model layer.
 */
import { ActpatError } from "../util/errors.ts";
import { broadcastShapes, canonDim, dimDivide, dimEq, dimProduct, dimSum, formatShape } from "./_dims.ts";
import { type DType, isFloat, ONNX_ELEM_TYPE, typedFromNumbers } from "./dtype.ts";
import type { AttrValue, Dim, Graph, Value } from "./graph.ts";

/** A value, or a number standing for a scalar constant of the other operand's dtype. */
export type Operand = Value | number;

/** Slices to "the end" of an axis use this as `end` (INT64 max is what ONNX exporters emit). */
export const SLICE_END = Number.MAX_SAFE_INTEGER;

function fail(op: string, detail: string): never {
  throw new ActpatError(`build ${op}`, detail);
}

function lift(op: string, a: Operand, b: Operand): [Value, Value] {
  if (typeof a === "number" && typeof b === "number") fail(op, "at least one operand must be a Value");
  const g = (typeof a === "number" ? (b as Value) : a).graph;
  const va = typeof a === "number" ? g.constant(a, { dtype: (b as Value).dtype }) : a;
  const vb = typeof b === "number" ? g.constant(b, { dtype: va.dtype }) : b;
  if (va.dtype !== vb.dtype) fail(op, `operand dtypes differ: ${va} and ${vb}`);
  return [va, vb];
}

function one(
  g: Graph,
  op: string,
  inputs: (Value | null)[],
  attrs: Record<string, AttrValue>,
  dtype: DType,
  shape: readonly Dim[],
): Value {
  return g.node(op, inputs, attrs, { outputs: [{ dtype, shape }] })[0];
}

function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) fail(op, `axis ${axis} is out of range for rank ${rank}`);
  return a;
}

function normAxes(op: string, axes: readonly number[], rank: number): number[] {
  const out = axes.map((a) => normAxis(op, a, rank));
  if (new Set(out).size !== out.length) fail(op, `axes [${axes.join(", ")}] repeat an axis`);
  return out;
}

function axesConst(g: Graph, axes: readonly number[]): Value {
  return g.constant(axes, { dtype: "int64" });
}

/**
 * The graph a node on `values` goes into: the innermost one, so that a subgraph node may read values of
 * the graphs enclosing it (whichever operand comes first).
 */
function graphOf(...values: Value[]): Graph {
  return values.reduce((g, v) => v.graph.depth > g.depth ? v.graph : g, values[0].graph);
}

function binary(op: string, a: Operand, b: Operand, outDtype?: DType): Value {
  const [va, vb] = lift(op, a, b);
  return one(
    graphOf(va, vb),
    op,
    [va, vb],
    {},
    outDtype ?? va.dtype,
    broadcastShapes(va.shape, vb.shape, op),
  );
}

function unary(op: string, x: Value, floatOnly = true): Value {
  if (floatOnly && !isFloat(x.dtype)) fail(op, `needs a floating-point input, got ${x}`);
  return one(x.graph, op, [x], {}, x.dtype, x.shape);
}

/** a + b (broadcasting). */
export const add = (a: Operand, b: Operand): Value => binary("Add", a, b);
/** a − b (broadcasting). */
export const sub = (a: Operand, b: Operand): Value => binary("Sub", a, b);
/** a · b (broadcasting). */
export const mul = (a: Operand, b: Operand): Value => binary("Mul", a, b);
/** a / b (broadcasting). */
export const div = (a: Operand, b: Operand): Value => binary("Div", a, b);
/** Elementwise maximum of two operands. */
export const max = (a: Operand, b: Operand): Value => binary("Max", a, b);
/** Elementwise minimum of two operands. */
export const min = (a: Operand, b: Operand): Value => binary("Min", a, b);
/** a == b → bool. */
export const equal = (a: Operand, b: Operand): Value => binary("Equal", a, b, "bool");
/** a < b → bool. */
export const less = (a: Operand, b: Operand): Value => binary("Less", a, b, "bool");
/** a > b → bool. */
export const greater = (a: Operand, b: Operand): Value => binary("Greater", a, b, "bool");
/** Logical and of bool tensors. */
export const and = (a: Value, b: Value): Value => binary("And", a, b);
/** Logical not of a bool tensor. */
export const not = (x: Value): Value => unary("Not", x, false);

/** −x. */
export const neg = (x: Value): Value => unary("Neg", x, false);
/** √x. */
export const sqrt = (x: Value): Value => unary("Sqrt", x);
/** eˣ. */
export const exp = (x: Value): Value => unary("Exp", x);
/** ln x. */
export const log = (x: Value): Value => unary("Log", x);
/** |x|. */
export const abs = (x: Value): Value => unary("Abs", x, false);
/** sign(x) ∈ {−1, 0, 1}. */
export const sign = (x: Value): Value => unary("Sign", x, false);
/** 1 / x. */
export const reciprocal = (x: Value): Value => unary("Reciprocal", x);
/** 1 / (1 + e⁻ˣ). */
export const sigmoid = (x: Value): Value => unary("Sigmoid", x);
/** x (a named pass-through). */
export const identity = (x: Value): Value => unary("Identity", x, false);

/** Elementwise select: cond ? a : b (broadcasting all three). */
export function where(cond: Value, a: Operand, b: Operand): Value {
  if (cond.dtype !== "bool") fail("Where", `condition must be bool, got ${cond}`);
  const [va, vb] = lift("Where", a, b);
  const shape = broadcastShapes(broadcastShapes(cond.shape, va.shape, "Where"), vb.shape, "Where");
  return one(graphOf(cond, va, vb), "Where", [cond, va, vb], {}, va.dtype, shape);
}

/** Converts x to `dtype`. */
export function cast(x: Value, dtype: DType): Value {
  return one(x.graph, "Cast", [x], { to: ONNX_ELEM_TYPE[dtype] }, dtype, x.shape);
}

/** Matrix product with numpy batch broadcasting; both operands rank ≥ 2. */
export function matmul(a: Value, b: Value): Value {
  if (a.dtype !== b.dtype) fail("MatMul", `operand dtypes differ: ${a} and ${b}`);
  if (a.rank < 2 || b.rank < 2) fail("MatMul", `operands must have rank ≥ 2: ${a}, ${b}`);
  const k1 = a.shape[a.rank - 1], k2 = b.shape[b.rank - 2];
  if (!dimEq(k1, k2)) fail("MatMul", `inner dims differ: ${a} × ${b}`);
  const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), "MatMul");
  return one(graphOf(a, b), "MatMul", [a, b], {}, a.dtype, [
    ...batch,
    a.shape[a.rank - 2],
    b.shape[b.rank - 1],
  ]);
}

/** op(a) · op(b) for 2-D a, b, with op = transpose where `transA`/`transB` is set (ONNX Gemm, no C). */
export function gemm(a: Value, b: Value, opts: { transA?: boolean; transB?: boolean } = {}): Value {
  if (a.dtype !== b.dtype) fail("Gemm", `operand dtypes differ: ${a} and ${b}`);
  if (a.rank !== 2 || b.rank !== 2) fail("Gemm", `operands must have rank 2: ${a}, ${b}`);
  const [m, k1] = opts.transA ? [a.shape[1], a.shape[0]] : a.shape;
  const [k2, n] = opts.transB ? [b.shape[1], b.shape[0]] : b.shape;
  if (!dimEq(k1, k2)) {
    fail("Gemm", `inner dims differ: ${a} × ${b} (transA ${!!opts.transA}, transB ${!!opts.transB})`);
  }
  const attrs = { transA: opts.transA ? 1 : 0, transB: opts.transB ? 1 : 0 };
  return one(graphOf(a, b), "Gemm", [a, b], attrs, a.dtype, [m, n]);
}

function reduce(op: string, x: Value, axes: readonly number[], keepdims: boolean): Value {
  if (axes.length === 0) fail(op, "give at least one axis (an empty list would mean all axes or none)");
  const ax = normAxes(op, axes, x.rank);
  const shape = keepdims
    ? x.shape.map((d, i) => ax.includes(i) ? 1 : d)
    : x.shape.filter((_, i) => !ax.includes(i));
  return one(x.graph, op, [x, axesConst(x.graph, ax)], { keepdims: keepdims ? 1 : 0 }, x.dtype, shape);
}

/** Σ over `axes` (keepdims by default). */
export const reduceSum = (x: Value, axes: readonly number[], opts: { keepdims?: boolean } = {}): Value =>
  reduce("ReduceSum", x, axes, opts.keepdims ?? true);
/** Σ x² over `axes` (keepdims by default). */
export const reduceSumSquare = (
  x: Value,
  axes: readonly number[],
  opts: { keepdims?: boolean } = {},
): Value => reduce("ReduceSumSquare", x, axes, opts.keepdims ?? true);
/** Mean over `axes` (keepdims by default). */
export const reduceMean = (x: Value, axes: readonly number[], opts: { keepdims?: boolean } = {}): Value =>
  reduce("ReduceMean", x, axes, opts.keepdims ?? true);
/** Max over `axes` (keepdims by default). */
export const reduceMax = (x: Value, axes: readonly number[], opts: { keepdims?: boolean } = {}): Value =>
  reduce("ReduceMax", x, axes, opts.keepdims ?? true);

/** Softmax along `axis` (default last). */
export function softmax(x: Value, axis = -1): Value {
  const a = normAxis("Softmax", axis, x.rank);
  if (!isFloat(x.dtype)) fail("Softmax", `needs a floating-point input, got ${x}`);
  return one(x.graph, "Softmax", [x], { axis: a }, x.dtype, x.shape);
}

/** Permutes axes. */
export function transpose(x: Value, perm: readonly number[]): Value {
  const p = normAxes("Transpose", perm, x.rank);
  if (p.length !== x.rank) fail("Transpose", `perm [${perm.join(", ")}] does not match rank of ${x}`);
  return one(x.graph, "Transpose", [x], { perm: p }, x.dtype, p.map((i) => x.shape[i]));
}

/**
 * Reshapes to `shape`, a list of dims (numbers, symbols, at most one −1), or to a runtime int64 shape Value
 * with the resulting static shape given as `outShape`. Symbolic dims are encoded as 0 ("copy") where they
 * match the input's dim at the same axis, else as −1, else read from the graph's dim sources.
 */
export function reshape(
  x: Value,
  shape: readonly Dim[] | Value,
  opts: { outShape?: readonly Dim[] } = {},
): Value {
  const g = x.graph;
  if (!Array.isArray(shape)) {
    const sv = shape as Value;
    if (!opts.outShape) fail("Reshape", "a runtime shape needs outShape");
    return one(g, "Reshape", [x, sv], {}, x.dtype, opts.outShape);
  }
  const dims = shape as readonly Dim[];
  const total = dimProduct(x.shape);
  const codes: (number | undefined)[] = dims.map((d, i) => {
    if (typeof d === "number") {
      if (d === -1 || d > 0) return d;
      fail("Reshape", `dim ${d} at axis ${i} is not allowed (use a positive size, a symbol or −1)`);
    }
    return i < x.rank && dimEq(x.shape[i], d) ? 0 : undefined;
  });
  const out: Dim[] = dims.map((d) => canonDim(d));
  const inferIdx = dims.indexOf(-1);
  if (dims.filter((d) => d === -1).length > 1) fail("Reshape", "at most one −1");
  const unresolved = codes.flatMap((c, i) => c === undefined ? [i] : []);
  if (inferIdx >= 0) {
    const rest = dimProduct(out.filter((_, i) => i !== inferIdx));
    const d = dimDivide(total, rest);
    if (d === undefined) fail("Reshape", `cannot infer −1 for ${x} → ${formatShape(dims)}`);
    out[inferIdx] = d;
  } else if (unresolved.length === 1) codes[unresolved[0]] = -1;
  if (!dimEq(dimProduct(out), total) && (typeof total === "number" || unresolved.length === 0)) {
    fail("Reshape", `element count differs: ${x} → ${formatShape(out)}`);
  }
  const stillOpen = codes.some((c) => c === undefined);
  const sv = stillOpen ? g.shapeTensor(out) : g.constant(codes as number[], { dtype: "int64" });
  return one(g, "Reshape", [x, sv], {}, x.dtype, out);
}

/** Inserts size-1 axes at `axes` (positions in the output). */
export function unsqueeze(x: Value, axes: readonly number[]): Value {
  const r = x.rank + axes.length;
  const ax = normAxes("Unsqueeze", axes, r).sort((a, b) => a - b);
  const shape: Dim[] = [];
  let j = 0;
  for (let i = 0; i < r; i++) shape.push(ax.includes(i) ? 1 : x.shape[j++]);
  return one(x.graph, "Unsqueeze", [x, axesConst(x.graph, ax)], {}, x.dtype, shape);
}

/** Removes size-1 axes `axes`. */
export function squeeze(x: Value, axes: readonly number[]): Value {
  const ax = normAxes("Squeeze", axes, x.rank).sort((a, b) => a - b);
  for (const a of ax) if (x.shape[a] !== 1) fail("Squeeze", `axis ${a} of ${x} is not 1`);
  return one(
    x.graph,
    "Squeeze",
    [x, axesConst(x.graph, ax)],
    {},
    x.dtype,
    x.shape.filter((_, i) => !ax.includes(i)),
  );
}

/** Joins values along `axis`. */
export function concat(values: readonly Value[], axis: number): Value {
  if (values.length === 0) fail("Concat", "no inputs");
  const x = values[0];
  const a = normAxis("Concat", axis, x.rank);
  for (const v of values) {
    if (
      v.dtype !== x.dtype || v.rank !== x.rank || v.shape.some((d, i) => i !== a && !dimEq(d, x.shape[i]))
    ) {
      fail("Concat", `inputs disagree off axis ${a}: ${values.join(", ")}`);
    }
  }
  const shape = x.shape.map((d, i) => i === a ? dimSum(values.map((v) => v.shape[a])) : d);
  return one(graphOf(...values), "Concat", [...values], { axis: a }, x.dtype, shape);
}

/** Splits x along `axis` into pieces of the given sizes. */
export function split(x: Value, sizes: readonly Dim[], axis: number): Value[] {
  const a = normAxis("Split", axis, x.rank);
  const g = x.graph;
  const sv = g.shapeTensor(sizes);
  return g.node("Split", [x, sv], { axis: a }, {
    outputs: sizes.map((s) => ({ dtype: x.dtype, shape: x.shape.map((d, i) => i === a ? s : d) })),
  });
}

/** Static slice spec: per listed axis, start/end (negative counts from the end; {@link SLICE_END}) and step. */
export interface SliceSpec {
  starts: readonly number[];
  ends: readonly number[];
  axes: readonly number[];
  steps?: readonly number[];
}

function slicedDim(d: Dim, start: number, end: number, step: number): Dim {
  if (typeof d === "number") {
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
    const s = step > 0
      ? clamp(start < 0 ? start + d : start, 0, d)
      : clamp(start < 0 ? start + d : start, -1, d - 1);
    const e = step > 0 ? clamp(end < 0 ? end + d : end, 0, d) : clamp(end < 0 ? end + d : end, -1, d - 1);
    return Math.max(0, Math.ceil((e - s) / step));
  }
  if (step !== 1) return `${d}[${start}:${end}:${step}]`;
  const toEnd = end >= SLICE_END;
  if (start === 0 && toEnd) return d;
  if (start < 0 && toEnd) return -start;
  if (start < 0 && end < 0) return Math.max(0, end - start);
  if (start >= 0 && end >= 0 && !toEnd) return end - start;
  if (start >= 0 && toEnd) return `${d}-${start}`;
  if (start >= 0 && end < 0) return `${d}-${start - end}`;
  return `${d}[${start}:${end}]`;
}

/** Static-bounds slice (bounds as constants; symbolic dims give symbolic or opaque result dims). */
export function slice(x: Value, spec: SliceSpec): Value {
  const ax = normAxes("Slice", spec.axes, x.rank);
  const steps = spec.steps ?? ax.map(() => 1);
  if (spec.starts.length !== ax.length || spec.ends.length !== ax.length || steps.length !== ax.length) {
    fail("Slice", "starts, ends, axes and steps must have the same length");
  }
  const g = x.graph;
  const shape = [...x.shape];
  ax.forEach((a, i) => shape[a] = slicedDim(x.shape[a], spec.starts[i], spec.ends[i], steps[i]));
  const inputs = [
    x,
    g.constant(spec.starts, { dtype: "int64" }),
    g.constant(spec.ends, { dtype: "int64" }),
    g.constant(ax, { dtype: "int64" }),
    g.constant(steps, { dtype: "int64" }),
  ];
  return one(g, "Slice", inputs, {}, x.dtype, shape);
}

/** Takes entries of `data` along `axis` at `indices` (int64 or int32). */
export function gather(data: Value, indices: Value, axis = 0): Value {
  const a = normAxis("Gather", axis, data.rank);
  if (indices.dtype !== "int64" && indices.dtype !== "int32") {
    fail("Gather", `indices must be integers: ${indices}`);
  }
  const shape = [...data.shape.slice(0, a), ...indices.shape, ...data.shape.slice(a + 1)];
  return one(graphOf(data, indices), "Gather", [data, indices], { axis: a }, data.dtype, shape);
}

/** out[i][j][k] = data[i][indices[i][j][k]][k] (for axis 1); output has the shape of `indices`. */
export function gatherElements(data: Value, indices: Value, axis: number): Value {
  const a = normAxis("GatherElements", axis, data.rank);
  if (indices.rank !== data.rank) fail("GatherElements", `ranks differ: ${data}, ${indices}`);
  return one(
    graphOf(data, indices),
    "GatherElements",
    [data, indices],
    { axis: a },
    data.dtype,
    indices.shape,
  );
}

/** Writes (or with reduction "add", accumulates) `updates` into a copy of `data` at `indices` along `axis`. */
export function scatterElements(
  data: Value,
  indices: Value,
  updates: Value,
  axis: number,
  opts: { reduction?: "none" | "add" } = {},
): Value {
  const a = normAxis("ScatterElements", axis, data.rank);
  return one(
    data.graph,
    "ScatterElements",
    [data, indices, updates],
    {
      axis: a,
      reduction: opts.reduction ?? "none",
    },
    data.dtype,
    data.shape,
  );
}

/** ScatterND: writes (or accumulates, reduction "add") slices of `updates` at index tuples `indices`. */
export function scatterND(
  data: Value,
  indices: Value,
  updates: Value,
  opts: { reduction?: "none" | "add" } = {},
): Value {
  return one(
    data.graph,
    "ScatterND",
    [data, indices, updates],
    { reduction: opts.reduction ?? "none" },
    data.dtype,
    data.shape,
  );
}

/**
 * Broadcasts x to `shape` (dims, or a runtime int64 shape Value with `outShape`). Dims equal to x's are
 * encoded as 1 so no shape arithmetic is emitted for them.
 */
export function expand(
  x: Value,
  shape: readonly Dim[] | Value,
  opts: { outShape?: readonly Dim[] } = {},
): Value {
  if (!Array.isArray(shape)) {
    if (!opts.outShape) fail("Expand", "a runtime shape needs outShape");
    return one(
      x.graph,
      "Expand",
      [x, shape as Value],
      {},
      x.dtype,
      broadcastShapes(x.shape, opts.outShape, "Expand"),
    );
  }
  const dims = shape as readonly Dim[];
  const out = broadcastShapes(x.shape, dims, "Expand");
  const off = dims.length - x.rank;
  const enc = dims.map((d, i) => i >= off && dimEq(x.shape[i - off], d) ? 1 : d);
  return one(x.graph, "Expand", [x, x.graph.shapeTensor(enc)], {}, x.dtype, out);
}

/** The shape of x as int64 [rank]. */
export function shape(x: Value): Value {
  return one(x.graph, "Shape", [x], {}, "int64", [x.rank]);
}

/** Number of elements of x as an int64 scalar. */
export function size(x: Value): Value {
  return one(x.graph, "Size", [x], {}, "int64", []);
}

/** A tensor of `shape` (dims or runtime shape Value + `outShape`) filled with `value`. */
export function constantOfShape(
  g: Graph,
  shapeSpec: readonly Dim[] | Value,
  value: number,
  dtype: DType,
  opts: { outShape?: readonly Dim[] } = {},
): Value {
  const sv = Array.isArray(shapeSpec) ? g.shapeTensor(shapeSpec as readonly Dim[]) : shapeSpec as Value;
  const out = Array.isArray(shapeSpec) ? shapeSpec as readonly Dim[] : opts.outShape;
  if (!out) fail("ConstantOfShape", "a runtime shape needs outShape");
  return one(
    g,
    "ConstantOfShape",
    [sv],
    { value: { tensor: { dtype, dims: [1], data: typedFromNumbers(dtype, [value]) } } },
    dtype,
    out,
  );
}

/** [0, 1, …, length−1] as a 1-D tensor of `dtype` (int64 or a float type). */
export function arange(g: Graph, length: Dim, dtype: DType = "int64"): Value {
  const limit = squeeze(g.dimTensor(length), [0]);
  const lim = dtype === "int64" ? limit : cast(limit, dtype);
  return one(g, "Range", [g.constant(0, { dtype }), lim, g.constant(1, { dtype })], {}, dtype, [length]);
}

/** Running sum along `axis` (optionally reverse / exclusive). */
export function cumSum(x: Value, axis: number, opts: { reverse?: boolean; exclusive?: boolean } = {}): Value {
  const a = normAxis("CumSum", axis, x.rank);
  return one(
    x.graph,
    "CumSum",
    [x, x.graph.constant(a, { dtype: "int64" })],
    {
      exclusive: opts.exclusive ? 1 : 0,
      reverse: opts.reverse ? 1 : 0,
    },
    x.dtype,
    x.shape,
  );
}

/** Constant-pads x with zeros; `pads` is a runtime int64 [2·rank] tensor (begins then ends). */
export function pad(x: Value, pads: Value, outShape: readonly Dim[]): Value {
  return one(graphOf(x, pads), "Pad", [x, pads], { mode: "constant" }, x.dtype, outShape);
}
