/**
 * Why the density loop collects garbage between runs (src/util/collect_garbage.ts): onnxruntime-node's output
 * ArrayBuffers, once dropped, stay resident until V8's next major collection, which their size does not
 * trigger. A child process runs a graph with a 256 MiB output four times, dropping each result, and reports
 * how much RSS grew from the first run to the last.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const here = (p: string) => JSON.stringify(fileURLToPath(new URL(p, import.meta.url)));

async function rssGrowthMiB(exposeGc: boolean): Promise<{ collected: boolean; growthMiB: number }> {
  const script = `
    import { Graph } from ${here("./graph.ts")};
    import { add } from ${here("./ops.ts")};
    import { serializeGraph } from ${here("./serialize.ts")};
    import { createSession, hostTensor, runSession } from ${here("./session.ts")};
    import { collectGarbage } from ${here("../util/collect_garbage.ts")};
    const N = 2 ** 26;
    const g = new Graph("big_output");
    const x = g.input("x", "float32", [N]);
    g.output(add(x, x), "y");
    const session = await createSession(serializeGraph(g), { threads: 1, cpuArena: false });
    const x1 = hostTensor("float32", [N], new Float32Array(N).fill(1));
    const rss = () => Deno.memoryUsage().rss / 2 ** 20;
    let first = 0;
    let collected = false;
    for (let i = 0; i < 4; i++) {
      const out = await runSession(session, { x: x1 });
      if (out.y.data[N - 1] !== 2) throw new Error("wrong output");
      collected = collectGarbage();
      // V8 hands freed ArrayBuffer memory back from a background sweeper.
      await new Promise((r) => setTimeout(r, 300));
      if (i === 0) first = rss();
    }
    console.log(JSON.stringify({ collected, growthMiB: rss() - first }));
  `;
  const args = ["run", "-A", ...(exposeGc ? ["--v8-flags=--expose-gc"] : []), "-"];
  const child = new Deno.Command(Deno.execPath(), { args, stdin: "piped", stdout: "piped", stderr: "piped" })
    .spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(script));
  await w.close();
  const out = await child.output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test("dropped session outputs stay resident without a collection and are freed with one", async () => {
  // Three more 256 MiB outputs after the first: kept, RSS grows by about 768 MiB; collected, by about 0.
  const kept = await rssGrowthMiB(false);
  assert.equal(kept.collected, false);
  assert.ok(kept.growthMiB > 384, `without --expose-gc RSS grew by only ${kept.growthMiB.toFixed(0)} MiB`);
  const freed = await rssGrowthMiB(true);
  assert.equal(freed.collected, true);
  assert.ok(freed.growthMiB < 128, `with collections RSS still grew by ${freed.growthMiB.toFixed(0)} MiB`);
});
