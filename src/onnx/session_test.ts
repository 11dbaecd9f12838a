import { deepStrictEqual as assertEquals } from "node:assert";
import { Graph } from "./graph.ts";
import * as op from "./ops.ts";
import { serializeGraph } from "./serialize.ts";
import {
  createSession,
  hostTensor,
  parseEp,
  runSession,
  runSessionValues,
  toHost,
  webgpuBufferCache,
} from "./session.ts";
import { assertRejectsMsg, assertThrowsMsg } from "../../test/fixtures/assert.ts";

function tiny(): Uint8Array {
  const g = new Graph("t");
  g.output(op.mul(g.input("x", "float32", ["N"]), 3), "y");
  return serializeGraph(g);
}

Deno.test("parseEp accepts the providers, defaults to cpu and names a bad flag", () => {
  assertEquals(parseEp(undefined), "cpu");
  assertEquals(parseEp("WebGPU"), "webgpu");
  assertEquals(parseEp("cuda"), "cuda");
  assertThrowsMsg(
    () => parseEp("tpu"),
    'Cannot parse --ep: "tpu" is not an execution provider; use one of cpu, webgpu, cuda',
  );
});

const hasCudaDriver = (() => {
  try {
    Deno.dlopen("libcuda.so.1", {}).close();
    return true;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "--ep cuda without an NVIDIA driver says so and downloads nothing",
  ignore: hasCudaDriver,
  async fn() {
    const requests: string[] = [];
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
      requests.push(req.url);
      return new Response("no", { status: 404 });
    });
    const cache = await Deno.makeTempDir();
    const saved = { r: Deno.env.get("NPM_CONFIG_REGISTRY"), c: Deno.env.get("ACTPAT_CACHE") };
    Deno.env.set("NPM_CONFIG_REGISTRY", `http://127.0.0.1:${server.addr.port}`);
    Deno.env.set("ACTPAT_CACHE", cache);
    try {
      await assertRejectsMsg(() => createSession(tiny(), { ep: "cuda" }), "libcuda.so.1 (the NVIDIA driver)");
      assertEquals(requests, []);
      assertEquals([...Deno.readDirSync(cache)], []);
    } finally {
      for (const [k, v] of [["NPM_CONFIG_REGISTRY", saved.r], ["ACTPAT_CACHE", saved.c]] as const) {
        v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
      }
      await server.shutdown();
      await Deno.remove(cache, { recursive: true });
    }
  },
});

Deno.test("createSession validates threads; runSession round-trips typed arrays", async () => {
  await assertRejectsMsg(() => createSession(tiny(), { threads: 0 }), "thread count 0");
  await assertRejectsMsg(
    () => createSession("/nonexistent/model.onnx"),
    "model file /nonexistent/model.onnx",
  );
  const s = await createSession(tiny(), { threads: 2 });
  const out = await runSession(s, { x: hostTensor("float32", [3], Float32Array.from([1, 2, 3])) });
  assertEquals(out.y.dims, [3]);
  assertEquals(Array.from(out.y.data as Float32Array), [3, 6, 9]);
  assertThrowsMsg(() => hostTensor("float32", [2], new Float32Array(3)), "need 2 elements");
  await assertRejectsMsg(
    () => runSession(s, { x: hostTensor("float32", [1, 1], new Float32Array(1)) }),
    "Cannot run session",
  );
  await s.release();
});

Deno.test("the WebGPU buffer cache mode comes from ACTPAT_WEBGPU_BUFFER_CACHE, default simple", () => {
  const before = Deno.env.get("ACTPAT_WEBGPU_BUFFER_CACHE");
  try {
    Deno.env.delete("ACTPAT_WEBGPU_BUFFER_CACHE");
    assertEquals(webgpuBufferCache(), "simple");
    Deno.env.set("ACTPAT_WEBGPU_BUFFER_CACHE", "bucket");
    assertEquals(webgpuBufferCache(), "bucket");
    Deno.env.set("ACTPAT_WEBGPU_BUFFER_CACHE", "huge");
    assertThrowsMsg(() => webgpuBufferCache(), 'ACTPAT_WEBGPU_BUFFER_CACHE="huge" is not one of');
  } finally {
    if (before === undefined) Deno.env.delete("ACTPAT_WEBGPU_BUFFER_CACHE");
    else Deno.env.set("ACTPAT_WEBGPU_BUFFER_CACHE", before);
  }
});

Deno.test("on cpu, device outputs come back as host tensors and toHost passes host tensors through", async () => {
  const s = await createSession(tiny(), { deviceOutputs: ["y"] });
  try {
    const out = await runSessionValues(s, { x: hostTensor("float32", [2], Float32Array.from([1, 2])) });
    const y = await toHost(out.y);
    assertEquals(y, out.y);
    assertEquals([...y.data], [3, 6]);
  } finally {
    await s.release();
  }
});

Deno.test("--ep webgpu without a GPU adapter says what to install, not onnxruntime's raw message", async () => {
  let session;
  try {
    session = await createSession(tiny(), { ep: "webgpu" });
  } catch (err) {
    const message = (err as Error).message;
    assertEquals(message.startsWith("Cannot use --ep webgpu: WebGPU found no GPU adapter"), true, message);
    assertEquals(/install a Vulkan loader .* Or use --ep cpu, or --ep cuda/.test(message), true, message);
    assertEquals(message.includes("webgpu_context.cc"), false, message);
    return;
  }
  // A machine with an adapter (the GPU device machines) opens the session: nothing to hint.
  await session.release();
});
