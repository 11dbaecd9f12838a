/**
 * Probe (not a test): throughput of the density graph's per-sample product |δᵀx| folded into a running sum,
 * for the largest Llama-2-7B matrix (11008 × 4096, T = 256), 8 products in a chain, as Gemm(δ, x, transA) and
 * as MatMul(Transpose(δ), x). `deno run -A bench/probes/weight_grad_product.ts [cpu|webgpu]`; figures in
 * bench/RESULTS.md.
 */
import * as ort from "onnxruntime-node";
import {
  abs,
  add,
  createSession,
  gemm,
  Graph,
  matmul,
  mul,
  parseEp,
  reduceSum,
  serializeGraph,
  transpose,
  type Value,
} from "../../src/onnx/mod.ts";

const T = 256, OUT = 11008, IN = 4096, CHAIN = 8;
const ep = parseEp(Deno.args[0] ?? "webgpu");

function build(form: "gemm" | "matmul"): Uint8Array {
  const g = new Graph("weight_grad_product");
  const d = g.input("d", "float32", [T, OUT]);
  const x = g.input("x", "float32", [T, IN]);
  let sum: Value | undefined;
  for (let i = 0; i < CHAIN; i++) {
    const di = mul(d, i + 1); // distinct products, so nothing is shared
    const p = form === "gemm" ? gemm(di, x, { transA: true }) : matmul(transpose(di, [1, 0]), x);
    sum = sum === undefined ? abs(p) : add(sum, abs(p));
  }
  g.output(reduceSum(sum!, [0, 1], { keepdims: false }), "s");
  return serializeGraph(g);
}

const pattern = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898) * 0.01);
const feeds = {
  d: new ort.Tensor("float32", pattern(T * OUT), [T, OUT]),
  x: new ort.Tensor("float32", pattern(T * IN), [T, IN]),
};
const flop = CHAIN * 2 * T * OUT * IN;
for (const form of ["gemm", "matmul"] as const) {
  const session = await createSession(build(form), { ep });
  const ms: number[] = [];
  let total = 0;
  for (let i = 0; i < 6; i++) {
    const t0 = performance.now();
    total = Number((await session.run(feeds)).s.data[0]);
    ms.push(performance.now() - t0);
  }
  const best = Math.min(...ms.slice(1)); // the first run includes shader compilation / allocation
  console.log(
    `${ep} ${form}: runs ${ms.map((t) => t.toFixed(0)).join(" ")} ms; best ${
      (flop / best / 1e9).toFixed(2)
    } ` +
      `TFLOP/s; Σ ${total.toExponential(6)}`,
  );
  await session.release();
}
