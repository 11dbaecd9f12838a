/**
 * Reverse-mode autodiff over a {@link Graph}: appends the backward pass of `y` to the same graph, using only
 * standard ONNX ops. The walker owns the shared work: it visits nodes in reverse build order (a topological
 * order), calls each node's rule from {@link GRADIENT_RULES} only for inputs on a path to `wrt`, sums a
 * gradient over broadcast axes back to its input's shape, adds up the gradients of a value used several
 * times, checks dtype and shape, and names the op when a rule is missing.
 */
import { ActpatError } from "../../util/errors.ts";
import { dimEq, formatShape } from "../_dims.ts";
import { isFloat } from "../dtype.ts";
import type { Graph, Value } from "../graph.ts";
import * as op from "../ops.ts";
import { GRADIENT_RULES, type GradRule } from "./gradient_rules.ts";

/** Options of {@link gradients}. */
export interface GradientOptions {
  /** ∂L/∂y to start from (same dtype and shape as y); ones when omitted, i.e. the gradient of Σ y. */
  seed?: Value;
  /** Name scope of the backward nodes (default `grad`). */
  scope?: string;
}

function fail(detail: string): never {
  throw new ActpatError("differentiate", detail);
}

/** Sums `grad` over the axes along which `x` was broadcast, so the result has x's shape. */
function unbroadcast(grad: Value, x: Value, where: string): Value {
  let g = grad;
  const extra = g.rank - x.rank;
  if (extra < 0) fail(`gradient ${g} for ${x} in ${where} has lower rank than the input`);
  if (extra > 0) g = op.reduceSum(g, Array.from({ length: extra }, (_, i) => i), { keepdims: false });
  const axes = x.shape.flatMap((d, i) => d === 1 && g.shape[i] !== 1 ? [i] : []);
  if (axes.length) g = op.reduceSum(g, axes, { keepdims: true });
  if (g.rank !== x.rank || g.shape.some((d, i) => !dimEq(d, x.shape[i]))) {
    fail(`gradient of shape ${formatShape(grad.shape)} does not fit input ${x} of ${where}`);
  }
  return g;
}

/**
 * Builds ∂(seed · y)/∂w for each `w` in `wrt` and returns them (same dtype and shape as each w). A w that y
 * does not depend on gets zeros. Throws `Cannot differentiate: no gradient rule for op "X" (node <name>)`
 * when the path from w to y crosses an op without a rule.
 *
 * @example
 * const [dw] = gradients(g, loss, [w]);
 * g.output(dw, "dw");
 */
export function gradients(g: Graph, y: Value, wrt: readonly Value[], opts: GradientOptions = {}): Value[] {
  if (y.graph !== g || wrt.some((w) => w.graph !== g)) fail("y and wrt must belong to the graph");
  if (!isFloat(y.dtype)) fail(`y ${y} is not floating-point`);
  const seed = opts.seed;
  if (
    seed &&
    (seed.dtype !== y.dtype || seed.rank !== y.rank || seed.shape.some((d, i) => !dimEq(d, y.shape[i])))
  ) {
    fail(`seed ${seed} does not match y ${y}`);
  }

  // Values on a path from some w (forward reachability); only those receive gradients.
  const needs = new Set<Value>(wrt);
  const forward = g.nodes.slice();
  for (const n of forward) {
    if (n.inputs.some((v) => v && needs.has(v))) {
      for (const o of n.outputs) if (isFloat(o.dtype)) needs.add(o);
    }
  }

  return g.scope(opts.scope ?? "grad", () => {
    const pending = new Map<Value, Value[]>();
    const total = (v: Value): Value | undefined => {
      const parts = pending.get(v);
      if (!parts || parts.length === 0) return undefined;
      if (parts.length > 1) {
        const sum = g.scope(`${v.name}/sum`, () => parts.reduce((a, b) => op.add(a, b)));
        pending.set(v, [sum]);
      }
      return pending.get(v)![0];
    };
    const seedValue = seed ??
      g.scope(
        "seed",
        () =>
          y.shape.every((d) => typeof d === "number")
            ? op.constantOfShape(g, y.shape, 1, y.dtype)
            : op.constantOfShape(g, op.shape(y), 1, y.dtype, { outShape: y.shape }),
      );
    if (needs.has(y)) pending.set(y, [seedValue]);

    for (let k = forward.length - 1; k >= 0; k--) {
      const node = forward[k];
      const dys = node.outputs.map((o) => needs.has(o) ? total(o) : undefined);
      if (dys.every((d) => d === undefined)) continue;
      const wanted = node.inputs.map((v) => v !== null && needs.has(v) && isFloat(v.dtype));
      if (!wanted.some(Boolean)) continue;
      const rule = (GRADIENT_RULES as Record<string, GradRule | undefined>)[node.opType];
      if (!rule) fail(`no gradient rule for op "${node.opType}" (node ${node.name})`);
      g.scope(node.name, () => {
        const dy = dys[0] ?? op.constantOfShape(g, op.shape(node.outputs[0]), 0, node.outputs[0].dtype, {
          outShape: node.outputs[0].shape,
        });
        const grads = rule({ g, node, x: node.inputs, y: node.outputs, dy, dys });
        node.inputs.forEach((x, i) => {
          const make = grads[i];
          if (!wanted[i] || !make || !x) return;
          const grad = make();
          if (grad.dtype !== x.dtype) {
            fail(
              `gradient for input ${i} (${x.name}) of node ${node.name} has dtype ${grad.dtype}, not ${x.dtype}`,
            );
          }
          const fitted = unbroadcast(grad, x, `node ${node.name} (${node.opType}) input ${i}`);
          const list = pending.get(x) ?? [];
          list.push(fitted);
          pending.set(x, list);
        });
      });
    }
    return wrt.map((w) =>
      total(w) ??
        op.constantOfShape(
          g,
          w.shape.every((d) => typeof d === "number") ? w.shape : op.shape(w),
          0,
          w.dtype,
          {
            outShape: w.shape,
          },
        )
    );
  });
}
