/**
 * actpat's graph engine: a typed ONNX graph builder, op builders with symbolic shape inference,
 * serialization (external weights stay on disk), an on-disk graph cache, onnxruntime sessions, and
 * reverse-mode autodiff (`./autodiff/mod.ts`).
 *
 * @example
 * const g = new Graph("demo");
 * const x = g.input("x", "float32", ["batch", 4]);
 * const w = g.initializer("w", { dtype: "float32", shape: [4, 2], data: new Float32Array(8).fill(0.5) });
 * g.output(g.scope("proj", () => add(matmul(x, w), 1)), "y");
 * const session = await createSession(serializeGraph(g), { ep: "cpu" });
 * const { y } = await runSession(session, { x: hostTensor("float32", [1, 4], new Float32Array(4).fill(1)) });
 *
 * @module
 */
export * from "./dtype.ts";
export * from "./graph.ts";
export * from "./ops.ts";
export * from "./serialize.ts";
export * from "./describe.ts";
export * from "./graph_cache.ts";
export * from "./session.ts";
export * from "./autodiff/mod.ts";
