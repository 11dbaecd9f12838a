/**
 * ONNX `Loop` (opset 21): a body run a given number of times, carrying state from one iteration to the next.
 * The body is a subgraph built by a callback; its nodes may read values of the enclosing graphs (weights, the
 * whole input to slice an iteration's part from) by name, which onnxruntime passes in without copying. State
 * stays where the body computes it (in device memory on a GPU provider) for every iteration of one run, and
 * each iteration's intermediates are freed before the next.
 *
 * A state may change shape after the first iteration (ONNX allows it for Loop): a [1, 1] zero that the body
 * broadcasts into a full-size sum costs no full-size initial copy, which matters when the state is gigabytes.
 */
import { ActpatError } from "../util/errors.ts";
import { type Dim, Graph, type Value } from "./graph.ts";

/** What a {@link loop} body returns: the next states (same dtypes) and per-iteration outputs. */
export interface LoopStep {
  states: readonly Value[];
  outputs?: readonly Value[];
}

function fail(detail: string): never {
  throw new ActpatError("build Loop", detail);
}

/**
 * Runs `body(iteration, states, g)` `tripCount` times (an int64 scalar). `iteration` is the int64 scalar
 * iteration number; `states` are the body's view of the carried values, declared with `stateShapes` (default:
 * the initial values' shapes; give symbolic dims for a state that changes shape). Returns the final states
 * (shaped as the body returns them) and the per-iteration outputs stacked along a new axis 0 (of dim
 * `tripDim`).
 *
 * @example
 * // Σ over the rows of x [N, 4] of |x_n|:
 * const n = squeeze(g.dimTensor("N"), [0]);
 * const [total] = loop(n, [zero], (i, [s]) => ({ states: [add(s, abs(gather(x, i, 0)))] }), {
 *   stateShapes: [["r"]],
 * }).states;
 */
export function loop(
  tripCount: Value,
  states: readonly Value[],
  body: (iteration: Value, states: Value[], g: Graph) => LoopStep,
  opts: { name?: string; stateShapes?: readonly (readonly Dim[])[]; tripDim?: Dim } = {},
): { states: Value[]; outputs: Value[] } {
  if (tripCount.dtype !== "int64" || tripCount.rank !== 0) {
    fail(`the trip count must be an int64 scalar, got ${tripCount}`);
  }
  if (opts.stateShapes && opts.stateShapes.length !== states.length) {
    fail(`${opts.stateShapes.length} state shapes for ${states.length} states`);
  }
  const all = [tripCount, ...states];
  const outer = all.reduce((g, v) => v.graph.depth > g.depth ? v.graph : g, all[0].graph);
  const name = opts.name ?? "Loop";
  const g = new Graph(`${outer.name}/${name}.body`, { parent: outer });
  const prefix = outer.reserveName([outer.scopePath, name].filter((p) => p).join("/"));
  const iteration = g.input(`${prefix}/iteration`, "int64", []);
  const condIn = g.input(`${prefix}/cond_in`, "bool", []);
  const stateIn = states.map((s, i) =>
    g.input(`${prefix}/state_in.${i}`, s.dtype, opts.stateShapes?.[i] ?? s.shape)
  );
  const step = g.scope(name, () => body(iteration, stateIn, g));
  if (step.states.length !== states.length) {
    fail(`the body returns ${step.states.length} states for ${states.length}`);
  }
  step.states.forEach((v, i) => {
    if (v.dtype !== states[i].dtype) {
      fail(`state ${i} enters as ${states[i].dtype} but the body returns ${v}`);
    }
  });
  const outputs = step.outputs ?? [];
  if (step.states.length + outputs.length === 0) fail("the body returns nothing");
  // The condition is passed through: the loop always runs tripCount times.
  g.output(condIn, `${prefix}/cond_out`);
  step.states.forEach((v, i) => g.output(v, `${prefix}/state_out.${i}`));
  outputs.forEach((v, i) => g.output(v, `${prefix}/out.${i}`));
  const results = outer.node("Loop", [tripCount, null, ...states], { body: { graph: g } }, {
    outputs: [
      ...step.states.map((s) => ({ dtype: s.dtype, shape: s.shape })),
      ...outputs.map((o) => ({ dtype: o.dtype, shape: [opts.tripDim ?? "trips", ...o.shape] })),
    ],
    name,
  });
  return { states: results.slice(0, states.length), outputs: results.slice(states.length) };
}

/**
 * state + x for a loop state that enters as a [1, …, 1] zero or as x's shape (see the module note): ONNX's Add
 * broadcasts either one, which the builder's static shape check cannot prove, so the node is emitted with x's
 * shape directly.
 */
export function addToState(state: Value, x: Value): Value {
  if (state.dtype !== x.dtype || state.rank !== x.rank) {
    fail(`a state ${state} cannot take ${x}: dtype and rank must match`);
  }
  const g = x.graph.depth >= state.graph.depth ? x.graph : state.graph;
  return g.node("Add", [state, x], {}, { outputs: [{ dtype: x.dtype, shape: x.shape }] })[0];
}
