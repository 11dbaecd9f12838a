/**
 * One gradient rule per op, in one table. A rule sees the forward node and the gradient of its output(s)
 * and returns, per differentiable input index, a thunk building that input's gradient; the walker calls only
 * the thunks of inputs that need a gradient, then sums over broadcast axes, adds up multiple uses and checks
 * dtype and shape. A rule may therefore return a gradient in the broadcast (output) shape. Ops whose inputs
 * are not differentiable (integers, shapes, masks) return `{}`.
 */
import { ActpatError } from "../../util/errors.ts";
import { isFloat } from "../dtype.ts";
import type { Graph, Node, Value } from "../graph.ts";
import * as op from "../ops.ts";

/** What a rule sees. `dy` is the gradient of output 0; `dys` those of all outputs (undefined: none flowed). */
export interface GradContext {
  g: Graph;
  node: Node;
  /** Forward inputs (null for omitted optional inputs). */
  x: readonly (Value | null)[];
  /** Forward outputs. */
  y: readonly Value[];
  dy: Value;
  dys: readonly (Value | undefined)[];
}

/** Lazily built gradients, by input index. */
export type GradMap = Partial<Record<number, () => Value>>;

/** A gradient rule. */
export type GradRule = (ctx: GradContext) => GradMap;

const none: GradRule = () => ({});

/** The rules, one row per op that the graphs build; the longer ones are named functions below. */
export const GRADIENT_RULES = {
  Add: ({ dy }) => ({ 0: () => dy, 1: () => dy }),
  Sub: ({ dy }) => ({ 0: () => dy, 1: () => op.neg(dy) }),
  Mul: (c) => ({ 0: () => op.mul(c.dy, xi(c, 1)), 1: () => op.mul(c.dy, xi(c, 0)) }),
  Div: (c) => ({ 0: () => op.div(c.dy, xi(c, 1)), 1: () => op.neg(op.div(op.mul(c.dy, c.y[0]), xi(c, 1))) }),
  Neg: ({ dy }) => ({ 0: () => op.neg(dy) }),
  Sqrt: (c) => ({ 0: () => op.div(op.mul(c.dy, 0.5), c.y[0]) }),
  Exp: (c) => ({ 0: () => op.mul(c.dy, c.y[0]) }),
  Log: (c) => ({ 0: () => op.div(c.dy, xi(c, 0)) }),
  Abs: (c) => ({ 0: () => op.mul(c.dy, op.sign(xi(c, 0))) }), // d|x| = sign(x): 0 at x = 0
  Reciprocal: (c) => ({ 0: () => op.neg(op.mul(c.dy, op.mul(c.y[0], c.y[0]))) }),
  Sigmoid: (c) => ({ 0: () => op.mul(c.dy, op.mul(c.y[0], op.sub(1, c.y[0]))) }),
  Identity: ({ dy }) => ({ 0: () => dy }),
  Cast: (c) => isFloat(xi(c, 0).dtype) ? { 0: () => op.cast(c.dy, xi(c, 0).dtype) } : {},
  Where: (c) => ({ 1: () => op.where(xi(c, 0), c.dy, 0), 2: () => op.where(xi(c, 0), 0, c.dy) }),
  MatMul: matmulGrad,
  Gemm: gemmGrad,
  ReduceSum: (c) => ({
    0: () => op.expand(keptDy(c, reduceAxes(c)), shapeOf(xi(c, 0)), { outShape: xi(c, 0).shape }),
  }),
  ReduceMean: reduceMeanGrad,
  ReduceMax: reduceMaxGrad,
  Softmax: (c) => ({
    0: () => op.mul(c.y[0], op.sub(c.dy, op.reduceSum(op.mul(c.dy, c.y[0]), [attr(c, "axis")]))),
  }),
  Transpose: (c) => ({ 0: () => op.transpose(c.dy, inversePermutation(c.node.attrs.perm as number[])) }),
  Reshape: (c) => ({ 0: () => op.reshape(c.dy, shapeOf(xi(c, 0)), { outShape: xi(c, 0).shape }) }),
  Expand: ({ dy }) => ({ 0: () => dy }), // the walker sums over the broadcast axes
  Unsqueeze: (c) => ({ 0: () => op.squeeze(c.dy, constInts(c, 1, "axes")) }),
  Squeeze: (c) => ({ 0: () => op.unsqueeze(c.dy, constInts(c, 1, "axes")) }),
  Concat: concatGrad,
  Split: (c) => ({ 0: () => op.concat(c.y.map((y, i) => c.dys[i] ?? zerosLike(y)), attr(c, "axis")) }),
  Slice: sliceGrad,
  Gather: gatherGrad,
  GatherElements: (c) => ({
    0: () => op.scatterElements(zerosLike(xi(c, 0)), xi(c, 1), c.dy, attr(c, "axis"), { reduction: "add" }),
  }),
  CumSum: (c) => ({
    0: () =>
      op.cumSum(c.dy, constInts(c, 1, "axis")[0], {
        reverse: attr(c, "reverse") !== 1,
        exclusive: attr(c, "exclusive") === 1,
      }),
  }),
  // Integer, boolean and shape outputs: nothing flows back.
  Equal: none,
  Greater: none,
  And: none,
  Not: none,
  Shape: none,
  Range: none,
  ConstantOfShape: none,
} satisfies Record<string, GradRule>;

/** The op types that have a rule: every forward op that the engine's graphs build. */
export type OpType = keyof typeof GRADIENT_RULES;

/** [.., m, k] × [k, n]: the weight gradient folds the batch into rows (one GEMM, never a per-batch stack). */
function matmulGrad(c: GradContext): GradMap {
  const a = xi(c, 0), b = xi(c, 1), dy = c.dy;
  return {
    0: () => op.matmul(dy, mT(b)),
    // [.., m, k] × [k, n]: fold the batch into rows so the weight gradient is one GEMM, never a per-batch stack.
    1: () =>
      b.rank === 2 && a.rank > 2
        ? op.matmul(
          mT(op.reshape(a, [-1, a.shape[a.rank - 1]])),
          op.reshape(dy, [-1, dy.shape[dy.rank - 1]]),
        )
        : op.matmul(mT(a), dy),
  };
}

/**
 * Y = α·op(A)·op(B) + β·C. Each operand's gradient is one Gemm on the other operand as stored (no Transpose
 * node), so a transB weight is read as it is in the backward pass too.
 */
function gemmGrad(c: GradContext): GradMap {
  const a = xi(c, 0), b = xi(c, 1), dy = c.dy;
  const tA = c.node.attrs.transA === 1, tB = c.node.attrs.transB === 1;
  const alpha = (c.node.attrs.alpha as number | undefined) ?? 1;
  const beta = (c.node.attrs.beta as number | undefined) ?? 1;
  const scaled = (v: Value, k: number) => k === 1 ? v : op.mul(v, k);
  const out: GradMap = {
    // dop(A) = dY·op(B)ᵀ; dA = dop(A) or its transpose.
    0: () =>
      scaled(tA ? op.gemm(b, dy, { transA: tB, transB: true }) : op.gemm(dy, b, { transB: !tB }), alpha),
    // dop(B) = op(A)ᵀ·dY; dB = dop(B) or its transpose.
    1: () =>
      scaled(tB ? op.gemm(dy, a, { transA: true, transB: tA }) : op.gemm(a, dy, { transA: !tA }), alpha),
  };
  if (c.x[2]) out[2] = () => scaled(dy, beta); // broadcast C: the walker sums over broadcast axes
  return out;
}

/** dy spread evenly over the reduced axes (static or symbolic). */
function reduceMeanGrad(c: GradContext): GradMap {
  return {
    0: () => {
      const x = xi(c, 0), axes = reduceAxes(c);
      const reduced = axes.map((a) => x.shape[a]);
      const n = reduced.every((d) => typeof d === "number")
        ? c.g.constant(1 / (reduced as number[]).reduce((p, d) => p * d, 1), { dtype: x.dtype })
        : op.div(op.cast(op.size(c.y[0]), x.dtype), op.cast(op.size(x), x.dtype));
      return op.expand(op.mul(keptDy(c, axes), n), shapeOf(x), { outShape: x.shape });
    },
  };
}

/** Ties: the gradient is split equally among all maximal entries (torch.amax's convention). */
function reduceMaxGrad(c: GradContext): GradMap {
  return {
    0: () => {
      const x = xi(c, 0), axes = reduceAxes(c);
      const yk = c.node.attrs.keepdims === 0 ? op.unsqueeze(c.y[0], axes) : c.y[0];
      const mask = op.cast(op.equal(x, yk), x.dtype);
      return op.mul(op.div(keptDy(c, axes), op.reduceSum(mask, axes)), mask);
    },
  };
}

/** One Split of dy, shared by every input. */
function concatGrad(c: GradContext): GradMap {
  const axis = c.node.attrs.axis as number;
  let parts: Value[] | undefined;
  const piece = (i: number) => () => {
    if (!parts) {
      const ins = c.x as Value[];
      const sizes = ins.every((v) => typeof v.shape[axis] === "number")
        ? c.g.constant(ins.map((v) => v.shape[axis] as number), { dtype: "int64" })
        : op.concat(ins.map((v) => dimOf(v, axis)), 0);
      parts = c.g.node("Split", [c.dy, sizes], { axis }, {
        outputs: ins.map((v) => ({
          dtype: c.dy.dtype,
          shape: c.dy.shape.map((d, k) => k === axis ? v.shape[axis] : d),
        })),
      });
    }
    return parts[i];
  };
  return Object.fromEntries(c.x.map((_, i) => [i, piece(i)]));
}

/** dy padded back to x's shape (steps of 1 only). */
function sliceGrad(c: GradContext): GradMap {
  return {
    0: () => {
      const x = xi(c, 0);
      const [starts, ends, axes] = [1, 2, 3].map((i) => constInts(c, i, ["starts", "ends", "axes"][i - 1]));
      const steps = c.x[4] ? constInts(c, 4, "steps") : axes.map(() => 1);
      if (steps.some((s) => s !== 1)) {
        throw new ActpatError(
          `differentiate Slice (node ${c.node.name})`,
          "only steps of 1 have a gradient rule",
        );
      }
      const zero = c.g.constant([0], { dtype: "int64" });
      const before: Value[] = x.shape.map(() => zero), after: Value[] = x.shape.map(() => zero);
      axes.forEach((a0, i) => {
        const a = a0 < 0 ? a0 + x.rank : a0;
        const d = x.shape[a];
        if (typeof d === "number") {
          const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
          const s = clamp(starts[i]), e = Math.max(clamp(ends[i]), s);
          before[a] = c.g.constant([s], { dtype: "int64" });
          after[a] = c.g.constant([d - e], { dtype: "int64" });
        } else {
          const dim = dimOf(x, a);
          const norm = (v: number) =>
            v >= op.SLICE_END
              ? dim
              : v < 0
              ? op.max(op.add(dim, v), zero)
              : op.min(c.g.constant([v], { dtype: "int64" }), dim);
          const s = norm(starts[i]), e = op.max(norm(ends[i]), s);
          before[a] = s;
          after[a] = op.sub(dim, e);
        }
      });
      return op.pad(c.dy, op.concat([...before, ...after], 0), x.shape);
    },
  };
}

/** Scatter-add of dy's rows into zeros of the data's shape. */
function gatherGrad(c: GradContext): GradMap {
  return {
    0: () => {
      const data = xi(c, 0), idx = xi(c, 1), axis = c.node.attrs.axis as number, q = idx.rank;
      const ids = idx.dtype === "int64" ? idx : op.cast(idx, "int64");
      // Move the gathered axis (and the index dims in dy) to the front, scatter-add rows, move back.
      const dPerm = [axis, ...data.shape.map((_, i) => i).filter((i) => i !== axis)];
      const yPerm = [
        ...Array.from({ length: q }, (_, i) => axis + i),
        ...Array.from({ length: axis }, (_, i) => i),
        ...Array.from({ length: data.rank - axis - 1 }, (_, i) => axis + q + i),
      ];
      const ident = (p: number[]) => p.every((v, i) => v === i);
      const dyT = ident(yPerm) ? c.dy : op.transpose(c.dy, yPerm);
      const base = ident(dPerm) ? data : op.transpose(data, dPerm);
      const acc = op.scatterND(zerosLike(base), op.unsqueeze(ids, [q]), dyT, { reduction: "add" });
      return ident(dPerm) ? acc : op.transpose(acc, dPerm.map((_, i) => dPerm.indexOf(i)));
    },
  };
}

function constInts(ctx: GradContext, i: number, what: string): number[] {
  const v = ctx.x[i];
  const data = v ? ctx.g.constantData(v) : undefined;
  if (!data) {
    throw new ActpatError(
      `differentiate ${ctx.node.opType} (node ${ctx.node.name})`,
      `its ${what} must be a constant, got ${v ? v.name : "none"}`,
    );
  }
  return Array.from(data as ArrayLike<number | bigint>, Number);
}

const xi = (ctx: GradContext, i: number): Value => ctx.x[i]!;

/** Swaps the last two axes. */
function mT(v: Value): Value {
  const perm = v.shape.map((_, i) => i);
  [perm[v.rank - 2], perm[v.rank - 1]] = [perm[v.rank - 1], perm[v.rank - 2]];
  return op.transpose(v, perm);
}

/** Zeros of v's dtype and shape. */
function zerosLike(v: Value): Value {
  return op.constantOfShape(v.graph, shapeOf(v), 0, v.dtype, { outShape: v.shape });
}

/** v's shape as an int64 tensor: a constant when static, else a Shape node. */
function shapeOf(v: Value): Value {
  return v.shape.every((d) => typeof d === "number")
    ? v.graph.constant(v.shape as number[], { dtype: "int64" })
    : op.shape(v);
}

/** dy of a reduction, with the reduced axes restored as size 1 when keepdims was 0. */
function keptDy(ctx: GradContext, axes: number[]): Value {
  return ctx.node.attrs.keepdims === 0 ? op.unsqueeze(ctx.dy, axes) : ctx.dy;
}

function reduceAxes(ctx: GradContext): number[] {
  const rank = xi(ctx, 0).rank;
  return constInts(ctx, 1, "axes").map((a) => a < 0 ? a + rank : a);
}

/** Size of dim `axis` of v as an int64 [1] tensor. */
function dimOf(v: Value, axis: number): Value {
  const d = v.shape[axis];
  if (typeof d === "number") return v.graph.constant([d], { dtype: "int64" });
  return v.graph.node("Shape", [v], { start: axis, end: axis + 1 }, {
    outputs: [{ dtype: "int64", shape: [1] }],
  })[0];
}

/** A numeric attribute of the rule's node. */
function attr(c: GradContext, name: string): number {
  return c.node.attrs[name] as number;
}

function inversePermutation(perm: readonly number[]): number[] {
  return perm.map((_, i) => perm.indexOf(i));
}
