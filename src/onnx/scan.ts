/**
 * ONNX `Scan` (opset 21): a loop over axis 0 of one or more tensors, carrying state. The body is a subgraph
 * built by a callback; its nodes may read values of the enclosing graphs (weights, say) by name, which
 * onnxruntime passes in without copying. Each iteration's intermediates are freed before the next, so a
 * reduction over the scanned axis needs memory for one slice's work, not for all of them.
 */
import { ActpatError } from "../util/errors.ts";
import { dimEq, formatShape } from "./_dims.ts";
import { Graph, type Value } from "./graph.ts";

/** What a {@link scan} body returns: the next states (same dtype and shape) and per-iteration outputs. */
export interface ScanStep {
  states: readonly Value[];
  outputs?: readonly Value[];
}

function fail(detail: string): never {
  throw new ActpatError("build Scan", detail);
}

/**
 * Scans axis 0 of `sequences` (all the same length N). `body(states, slices, g)` gets the current states and
 * one slice of each sequence (axis 0 removed) as values of the body graph `g`, and returns the next states and
 * any per-iteration outputs. Returns the final states and the outputs stacked along a new axis 0 (length N).
 *
 * @example
 * // Σ over the rows of x [N, 4] of |x_n|, one row at a time:
 * const [total] = scan([zeros], [x], ([s], [row]) => ({ states: [add(s, abs(row))] })).states;
 */
export function scan(
  states: readonly Value[],
  sequences: readonly Value[],
  body: (states: Value[], slices: Value[], g: Graph) => ScanStep,
  opts: { name?: string } = {},
): { states: Value[]; outputs: Value[] } {
  if (sequences.length === 0) fail("give at least one sequence to scan");
  const all = [...states, ...sequences];
  const outer = all.reduce((g, v) => v.graph.depth > g.depth ? v.graph : g, all[0].graph);
  const n = sequences[0].shape[0];
  for (const s of sequences) {
    if (s.rank < 1) fail(`a scanned value needs rank ≥ 1, got ${s}`);
    if (!dimEq(s.shape[0], n)) fail(`scanned values differ in length: ${sequences[0]} and ${s}`);
  }
  const name = opts.name ?? "Scan";
  const g = new Graph(`${outer.name}/${name}.body`, { parent: outer });
  const prefix = outer.reserveName([outer.scopePath, name].filter((p) => p).join("/"));
  const stateIn = states.map((s, i) => g.input(`${prefix}/state_in.${i}`, s.dtype, s.shape));
  const sliceIn = sequences.map((s, i) => g.input(`${prefix}/slice.${i}`, s.dtype, s.shape.slice(1)));
  const step = g.scope(name, () => body(stateIn, sliceIn, g));
  if (step.states.length !== states.length) {
    fail(`the body returns ${step.states.length} states for ${states.length}`);
  }
  step.states.forEach((v, i) => {
    const s = states[i];
    if (v.dtype !== s.dtype || v.rank !== s.rank || !v.shape.every((d, k) => dimEq(d, s.shape[k]))) {
      fail(`state ${i} enters as ${s.dtype}${formatShape(s.shape)} but the body returns ${v}`);
    }
  });
  const outputs = step.outputs ?? [];
  if (step.states.length + outputs.length === 0) fail("the body returns nothing");
  step.states.forEach((v, i) => g.output(v, `${prefix}/state_out.${i}`));
  outputs.forEach((v, i) => g.output(v, `${prefix}/out.${i}`));
  const results = outer.node(
    "Scan",
    all,
    { body: { graph: g }, num_scan_inputs: sequences.length },
    {
      outputs: [
        ...states.map((s) => ({ dtype: s.dtype, shape: s.shape })),
        ...outputs.map((o) => ({ dtype: o.dtype, shape: [n, ...o.shape] })),
      ],
      name,
    },
  );
  return { states: results.slice(0, states.length), outputs: results.slice(states.length) };
}
