/**
 * Every gradient rule against a float64 central finite-difference Jacobian computed by onnxruntime CPU.
 *
 * For each case the full Jacobian J[i][j] = ∂y_i/∂x_j is built twice: by autodiff (one backward run per
 * output element, seeded with a one-hot ∂L/∂y) and by central differences (x_j ± h, forward runs only).
 * Tolerance: with h = 1e-6 in float64 the truncation error is h²/6·|f'''| ≈ 2e-13·|f'''| and the rounding
 * error ε·|f|/h ≈ 2e-10·|f| (ε = 2.2e-16); inputs are O(1) and kept away from poles and kinks (|x| ≥ 0.25
 * for Abs/Log/Div/Sqrt, distinct values for ReduceMax, x off integers for Cast to int), so the
 * expected error is ≲ 1e-9. We assert |J_ad − J_fd| ≤ 1e-6 · max(1, |J_fd|): a factor 1000 of headroom that
 * still fails on any wrong rule (errors are then O(1)).
 */
import { ok } from "node:assert";
import type { TypedArray } from "../dtype.ts";
import { Graph } from "../graph.ts";
import { serializeGraph } from "../serialize.ts";
import { createSession, hostTensor, runSession } from "../session.ts";
import { evalDim } from "../../../test/fixtures/onnx.ts";
import { rng } from "../../../test/fixtures/random.ts";
import { gradients } from "./gradients.ts";
import { GRADIENT_RULES, type OpType } from "./gradient_rules.ts";
import { CASES, ENV, type InputSpec } from "../../../test/fixtures/grad_cases.ts";

const H = 1e-6;
const TOL = 1e-6;

function inputData(spec: InputSpec, dims: number[], seed: number): TypedArray {
  if (spec.data) return spec.data;
  const n = dims.reduce((a, b) => a * b, 1);
  const r = rng(seed);
  return Float64Array.from({ length: n }, () => {
    if (spec.kind === "pos") return r(0.25, 1.5);
    const m = r(0.25, 1);
    return r() < 0 ? -m : m;
  });
}

const seenOps = new Set<string>();

for (const c of CASES) {
  Deno.test(`gradient rule: ${c.name} matches the finite-difference Jacobian`, async () => {
    const g = new Graph("grad_check");
    const xs = c.inputs.map((s) => g.input(s.name, s.dtype ?? "float64", s.shape));
    const y = c.build(g, xs);
    for (const n of g.nodes) seenOps.add(n.opType);
    const wrt = xs.filter((x) => x.dtype === "float64");
    const seed = g.input("seed", y.dtype, y.shape);
    const grads = gradients(g, y, wrt, { seed });
    g.output(y, "y");
    grads.forEach((d, i) => g.output(d, `d_${wrt[i].name}`));
    for (const n of g.nodes) ok(!n.opType.includes(".") && n.opType !== "", `non-standard op ${n.opType}`);

    const feeds = Object.fromEntries(c.inputs.map((s, i) => {
      const dims = s.shape.map((d) => evalDim(d, ENV));
      return [s.name, hostTensor(s.dtype ?? "float64", dims, inputData(s, dims, 1000 + 17 * i))];
    }));
    const yDims = y.shape.map((d) => evalDim(d, ENV));
    const ny = yDims.reduce((a, b) => a * b, 1);
    const session = await createSession(serializeGraph(g), { threads: 1 });
    const run = async (f: Record<string, ReturnType<typeof hostTensor>>, seedData: Float64Array) =>
      await runSession(session, { ...f, seed: hostTensor("float64", yDims, seedData) });
    try {
      // Autodiff Jacobian rows: one backward run per output element.
      const jad: Float64Array[][] = wrt.map(() => []);
      for (let i = 0; i < ny; i++) {
        const e = new Float64Array(ny);
        e[i] = 1;
        const out = await run(feeds, e);
        wrt.forEach((w, k) => jad[k].push(out[`d_${w.name}`].data as Float64Array));
      }
      // Finite-difference columns.
      for (const [k, w] of wrt.entries()) {
        const base = feeds[w.name].data as Float64Array;
        for (let j = 0; j < base.length; j++) {
          const plus = base.slice(), minus = base.slice();
          plus[j] += H;
          minus[j] -= H;
          const yp = (await run(
            { ...feeds, [w.name]: hostTensor("float64", feeds[w.name].dims, plus) },
            new Float64Array(ny),
          )).y.data as Float64Array;
          const ym = (await run(
            { ...feeds, [w.name]: hostTensor("float64", feeds[w.name].dims, minus) },
            new Float64Array(ny),
          )).y.data as Float64Array;
          for (let i = 0; i < ny; i++) {
            const fd = (yp[i] - ym[i]) / (2 * H);
            const ad = jad[k][i][j];
            ok(
              Math.abs(ad - fd) <= TOL * Math.max(1, Math.abs(fd)),
              `∂y[${i}]/∂${w.name}[${j}]: autodiff ${ad}, finite difference ${fd}`,
            );
          }
        }
      }
    } finally {
      await session.release();
    }
  });
}

Deno.test("every op with a gradient rule is exercised by a finite-difference case", () => {
  // Ops whose inputs are never differentiable (bool/int outputs, shapes) have empty rules and nothing to check.
  const nonDifferentiable: OpType[] = [
    "Equal",
    "Greater",
    "And",
    "Not",
    "Shape",
    "Range",
    "ConstantOfShape",
  ];
  const missing = (Object.keys(GRADIENT_RULES) as OpType[]).filter((o) =>
    !nonDifferentiable.includes(o) && !seenOps.has(o)
  );
  ok(missing.length === 0, `no finite-difference case for: ${missing.join(", ")}`);
});
