import { deepStrictEqual as assertEquals, ok } from "node:assert";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import { Graph } from "./graph.ts";
import * as op from "./ops.ts";
import { EXTERNAL_DIR_KEY, externalDataDir, serializeGraph, writeModel } from "./serialize.ts";
import { createSession, hostTensor, runSession } from "./session.ts";
import { assertThrowsMsg } from "../../test/fixtures/assert.ts";
import { runGraph } from "../../test/fixtures/onnx.ts";

const { onnx } = onnxProto;

Deno.test("serialization round trip: decoded proto matches the graph and runs in onnxruntime", async () => {
  const g = new Graph("rt");
  const x = g.input("x", "float64", ["B", 3]);
  const w = g.initializer("w", {
    dtype: "float64",
    shape: [3, 2],
    data: Float64Array.from([1, 2, 3, 4, 5, 6]),
  });
  const y = g.scope("lin", () => op.softmax(op.matmul(x, w), 1));
  g.output(y, "y");
  const bytes = serializeGraph(g);
  const m = onnx.ModelProto.decode(bytes);
  assertEquals(m.opsetImport.map((o) => [o.domain, Number(o.version)]), [["", 21]]);
  assertEquals(m.graph!.node!.map((n) => `${n.name}:${n.opType}`), [
    "lin/MatMul:MatMul",
    "lin/Softmax:Softmax",
    "output/y:Identity",
  ]);
  assertEquals(
    m.graph!.input![0].type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue)),
    ["B", 3],
  );
  assertEquals(Number(m.graph!.node![1].attribute![0].i), 1);
  const out = await runGraph(g, { x: hostTensor("float64", [1, 3], Float64Array.from([1, 0, -1])) });
  // x·w = [1-5, 2-6] = [-4, -4] → softmax [0.5, 0.5]
  assertEquals(Array.from(out.y.data as Float64Array), [0.5, 0.5]);
  assertEquals(externalDataDir(bytes), undefined);
});

Deno.test("external initializers read a byte range of a file reached through a symlink", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(join(dir, "real"));
  await Deno.mkdir(join(dir, "snap"));
  const file = join(dir, "real", "blob");
  // 13 leading bytes: an offset that is neither page- nor element-aligned, like a safetensors header.
  const w = Float32Array.from([1, 2, 3, 4, 5, 6]);
  const bytes = new Uint8Array(13 + 24 + 5);
  bytes.set(new Uint8Array(w.buffer), 13);
  await Deno.writeFile(file, bytes);
  await Deno.symlink(file, join(dir, "snap", "model.safetensors"));
  const g = new Graph("ext");
  const x = g.input("x", "float32", [1, 2]);
  const wv = g.initializer("w", {
    dtype: "float32",
    shape: [2, 3],
    external: { path: join(dir, "snap", "model.safetensors"), offset: 13, byteLength: 24 },
  });
  g.output(op.matmul(x, wv), "y");
  const modelPath = join(dir, "cache", "m.onnx");
  await writeModel(g, modelPath);
  const m = onnx.ModelProto.decode(await Deno.readFile(modelPath));
  assertEquals(
    m.metadataProps.find((p) => p.key === EXTERNAL_DIR_KEY)?.value,
    await Deno.realPath(join(dir, "real")),
  );
  const s = await createSession(modelPath);
  const out = await runSession(s, { x: hostTensor("float32", [1, 2], Float32Array.from([1, 10])) });
  assertEquals(Array.from(out.y.data as Float32Array), [41, 52, 63]);
  await s.release();
  assertThrowsMsg(
    () =>
      g.initializer("w2", {
        dtype: "float32",
        shape: [2],
        external: { path: file, offset: 0, byteLength: 4 },
      }),
    "needs 8 bytes",
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("external weights from two directories are rejected with both named", async () => {
  const dir = await Deno.makeTempDir();
  for (const d of ["a", "b"]) {
    await Deno.mkdir(join(dir, d));
    await Deno.writeFile(join(dir, d, "w"), new Uint8Array(4));
  }
  const g = new Graph("two");
  const a = g.initializer("a", {
    dtype: "float32",
    shape: [1],
    external: { path: join(dir, "a", "w"), offset: 0, byteLength: 4 },
  });
  const b = g.initializer("b", {
    dtype: "float32",
    shape: [1],
    external: { path: join(dir, "b", "w"), offset: 0, byteLength: 4 },
  });
  g.output(op.add(a, b), "y");
  assertThrowsMsg(() => serializeGraph(g), "several directories");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a 32 MB external weight never enters the JS heap", async () => {
  const dir = await Deno.makeTempDir();
  const file = join(dir, "w.bin");
  const rows = 2048, cols = 4096;
  // Written in 1 MB chunks from one reused buffer; expected column sums accumulate as we go.
  const colSum = new Float64Array(cols);
  const chunkRows = 64;
  const chunk = new Float32Array(chunkRows * cols);
  const fh = await Deno.open(file, { write: true, create: true, truncate: true });
  for (let r0 = 0; r0 < rows; r0 += chunkRows) {
    for (let r = 0; r < chunkRows; r++) {
      for (let c = 0; c < cols; c++) {
        const v = (((r0 + r) % 7) - (c % 5)) / 8; // exact in float32
        chunk[r * cols + c] = v;
        colSum[c] += v;
      }
    }
    const buf = new Uint8Array(chunk.buffer);
    for (let off = 0; off < buf.length;) off += await fh.write(buf.subarray(off));
  }
  fh.close();
  const g = new Graph("big");
  const x = g.input("x", "float32", [1, rows]);
  const w = g.initializer("w", {
    dtype: "float32",
    shape: [rows, cols],
    external: { path: file, offset: 0, byteLength: rows * cols * 4 },
  });
  g.output(op.matmul(x, w), "y");
  const bytes = serializeGraph(g);
  ok(bytes.byteLength < 4096, `model is ${bytes.byteLength} bytes`);
  const before = Deno.memoryUsage();
  const s = await createSession(bytes, { threads: 1 });
  const out = await runSession(s, { x: hostTensor("float32", [1, rows], new Float32Array(rows).fill(1)) });
  const after = Deno.memoryUsage();
  // The weight is 32 MiB; JS heap + external buffers grow only by the 16 KiB output and bookkeeping.
  const grown = (after.heapUsed - before.heapUsed) + (after.external - before.external);
  ok(grown < 8 * 2 ** 20, `JS memory grew by ${grown} bytes`);
  const y = out.y.data as Float32Array;
  for (let c = 0; c < cols; c += 97) assertEquals(y[c], colSum[c]);
  await s.release();
  await Deno.remove(dir, { recursive: true });
});
