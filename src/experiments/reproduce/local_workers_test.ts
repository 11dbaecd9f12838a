import assert from "node:assert/strict";
import { join } from "node:path";
import { readCellDone } from "../../results/cell_record.ts";
import { parseDevices, runOnWorkers } from "./local_workers.ts";
import type { PlannedCell } from "./plan.ts";

Deno.test("parseDevices: GPU indices and CPU slices sharing the cores", () => {
  assert.deepEqual(parseDevices("0,1", 16), [
    { label: "gpu:0", gpu: 0, threads: null },
    { label: "gpu:1", gpu: 1, threads: null },
  ]);
  assert.deepEqual(parseDevices("cpu:0,cpu:1,cpu:2", 8).map((d) => d.threads), [2, 2, 2]);
  assert.deepEqual(parseDevices("cpu:0,cpu:1,cpu:2", 2).map((d) => d.threads), [1, 1, 1]);
  assert.throws(() => parseDevices(""), /Cannot parse --devices: no device given/);
  assert.throws(() => parseDevices("cuda:0"), /"cuda:0" is neither a GPU index/);
});

function cell(id: string, dependsOn: string[] = []): PlannedCell {
  return { id, stage: id.split(".")[0], role: "part", dir: `cells/${id}`, settings: {}, dependsOn, hash: id };
}

/**
 * A worker that records when it started and ended and writes the cell's done record, as `reproduce --cell`
 * does; cell `bad` fails.
 */
const WORKER = `
const [run, id] = Deno.args;
const t0 = Date.now();
await new Promise((r) => setTimeout(r, 300));
if (id === "bad") { console.error("bad cell"); Deno.exit(3); }
await Deno.mkdir(run + "/cells", { recursive: true });
await Deno.writeTextFile(run + "/cells/" + id + ".done.json", JSON.stringify({
  id, key: id, startedAt: new Date(t0).toISOString(), endedAt: new Date().toISOString(), seconds: 0, host: "h",
  result: { start: t0, end: Date.now() },
}));
`;

Deno.test("runOnWorkers: cells over two workers in dependency order; a failure names the cell and its log", async () => {
  const run = await Deno.makeTempDir();
  try {
    const script = join(run, "worker.ts");
    await Deno.writeTextFile(script, WORKER);
    const command = (id: string) => [Deno.execPath(), "run", "-A", script, run, id];
    const cells = [cell("a"), cell("b"), cell("c"), cell("d", ["a", "b"]), cell("e", ["d"])];
    const lines: string[] = [];
    await runOnWorkers(cells, {
      run,
      devices: parseDevices("cpu:0,cpu:1", 2),
      command,
      log: (l) => lines.push(l),
    });
    const span = async (id: string) =>
      (await readCellDone(run, id))!.result as { start: number; end: number };
    for (const [before, after] of [["a", "d"], ["b", "d"], ["d", "e"]]) {
      assert.ok(
        (await span(before)).end <= (await span(after)).start,
        `${before} ends before ${after} starts`,
      );
    }
    // Two workers: a and b start together, c waits for one of them.
    const [a, b, c] = await Promise.all(["a", "b", "c"].map(span));
    assert.ok(Math.max(a.start, b.start) < Math.min(a.end, b.end), "a and b overlap");
    assert.ok(c.start >= Math.min(a.end, b.end), "c waits for a free worker");
    assert.equal(lines.filter((l) => l.includes("starts on")).length, 5);

    await assert.rejects(
      runOnWorkers([cell("bad"), cell("f", ["bad"])], {
        run,
        devices: parseDevices("cpu:0", 2),
        command,
        log: () => {},
      }),
      /Cannot run the cells on local workers: bad failed; see .*logs\/bad\.log/,
    );
    assert.match(await Deno.readTextFile(join(run, "logs", "bad.log")), /bad cell/);
    assert.equal(await readCellDone(run, "f"), null, "what depends on a failed cell does not start");
  } finally {
    await Deno.remove(run, { recursive: true });
  }
});
