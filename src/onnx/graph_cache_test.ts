import { deepStrictEqual as assertEquals, notDeepStrictEqual } from "node:assert";
import { join } from "node:path";
import { Graph } from "./graph.ts";
import { cachedModel, graphCachePath, graphKeyHash } from "./graph_cache.ts";
import * as op from "./ops.ts";
import { createSession, hostTensor, runSession } from "./session.ts";
import { assertThrowsMsg } from "../../test/fixtures/assert.ts";

function build(scale: number): Graph {
  const g = new Graph("c");
  g.output(op.mul(g.input("x", "float32", [2]), scale), "y");
  return g;
}

Deno.test("graph keys hash canonically and differ when anything differs", () => {
  assertEquals(graphKeyHash({ a: 1, b: [1, 2] }), graphKeyHash({ b: [1, 2], a: 1 }));
  notDeepStrictEqual(graphKeyHash({ a: 1 }), graphKeyHash({ a: 2 }));
  notDeepStrictEqual(graphKeyHash({ a: [1, 2] }), graphKeyHash({ a: [2, 1] }));
  assertThrowsMsg(() => graphKeyHash({ f: () => 1 }), "key.f is a function");
  assertThrowsMsg(() => graphKeyHash({ n: NaN }), "key.n is NaN");
});

Deno.test("cachedModel builds on a miss, reuses on a hit, and the file runs", async () => {
  const root = await Deno.makeTempDir();
  let builds = 0;
  const key = { kind: "scale", scale: 3 };
  const first = await cachedModel(key, () => (builds++, build(3)), { root });
  const second = await cachedModel(key, () => (builds++, build(3)), { root });
  const other = await cachedModel({ kind: "scale", scale: 4 }, () => (builds++, build(4)), { root });
  assertEquals([first.hit, second.hit, other.hit, builds], [false, true, false, 2]);
  assertEquals(first.path, graphCachePath(key, { root }));
  assertEquals(first.path.startsWith(join(root, "graphs")), true);
  assertEquals(JSON.parse(await Deno.readTextFile(first.path.replace(/\.onnx$/, ".json"))), key);
  const s = await createSession(second.path);
  const out = await runSession(s, { x: hostTensor("float32", [2], Float32Array.from([1, 2])) });
  assertEquals(Array.from(out.y.data as Float32Array), [3, 6]);
  await s.release();
  // No temporary files are left behind.
  const names = [...Deno.readDirSync(join(root, "graphs"))].map((e) => e.name);
  assertEquals(names.filter((n) => n.includes("partial")), []);
  await Deno.remove(root, { recursive: true });
});
