import assert from "node:assert/strict";
import { join } from "node:path";
import type { CsvSchema } from "./csv.ts";
import { readCsv } from "./csv.ts";
import { readManifest } from "./manifest.ts";
import { createRunDir, runStage, withRunDir } from "./run_dir.ts";

const CLOCK = () => new Date("2025-03-04T05:06:07.890Z");

async function inTemp(fn: (root: string) => Promise<void>) {
  const root = await Deno.makeTempDir();
  try {
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

function listFiles(dir: string, prefix = ""): string[] {
  return [...Deno.readDirSync(dir)].flatMap((e) =>
    e.isDirectory ? listFiles(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]
  ).sort();
}

Deno.test("createRunDir: <root>/<command>-<time>, suffixed when taken, manifest in status running", async () => {
  await inTemp(async (root) => {
    const a = await createRunDir({ command: "density", argv: ["--n", "64"], root, now: CLOCK, seed: 1 });
    const b = await createRunDir({ command: "density", root, now: CLOCK });
    assert.equal(a.path, join(root, "density-20250304-050607"));
    assert.equal(b.path, join(root, "density-20250304-050607-2"));
    const m = await readManifest(join(a.path, "manifest.json"));
    assert.equal(m.status, "running");
    assert.equal(m.commandLine, "deno task density --n 64");
    assert.equal(m.seed, 1);
    assert.equal(m.startedAt, "2025-03-04T05:06:07.890Z");
    await a.finish("ok");
    await b.finish("ok");
  });
});

Deno.test("writeCsv documents the columns in the manifest; files are written atomically", async () => {
  await inTemp(async (root) => {
    const run = await createRunDir({ command: "density", root, now: CLOCK });
    const schema: CsvSchema = [
      { name: "layer", type: "integer", description: "decoder layer" },
      { name: "density", type: "number", description: "parameters above gamma" },
    ];
    await run.writeCsv("density.csv", schema, [{ layer: 0, density: 0.25 }], "density per layer");
    await run.writeCsv("density.csv", schema, [{ layer: 0, density: 0.5 }], "density per layer");
    await run.writeJson("summary.json", { mean: 0.5 }, "summary");
    await run.finish("ok");
    assert.deepEqual(await readCsv(run.file("density.csv"), schema), [{ layer: 0, density: 0.5 }]);
    const m = await readManifest(run.file("manifest.json"));
    assert.deepEqual(m.outputs, [
      { file: "density.csv", description: "density per layer", columns: schema.map((c) => ({ ...c })) },
      { file: "summary.json", description: "summary" },
    ]);
    assert.deepEqual(listFiles(run.path), ["density.csv", "manifest.json", "summary.json"]);
  });
});

Deno.test("runStage: computed once; a resumed run reuses it while the inputs hash matches", async () => {
  await inTemp(async (root) => {
    const dir = join(root, "run");
    let calls = 0;
    const stage = () => {
      calls++;
      return { scores: [1.5, -0], note: undefined };
    };
    const first = await createRunDir({ command: "prune", dir, now: CLOCK });
    const v1 = await runStage(first, "calibrate", "h1", stage);
    assert.equal(calls, 1);
    // The value is returned as stored (JSON), so computed and reused stages agree.
    assert.deepEqual(v1, { scores: [1.5, 0] });
    await first.finish("failed", "stopped");

    const second = await createRunDir({ command: "prune", dir, now: () => new Date("2025-03-05T00:00:00Z") });
    const v2 = await runStage(second, "calibrate", "h1", stage);
    assert.equal(calls, 1, "unchanged inputs: not recomputed");
    assert.deepEqual(v2, v1);
    let m = await readManifest(join(dir, "manifest.json"));
    assert.equal(m.stages.length, 1);
    assert.equal(m.stages[0].reused, true);
    assert.equal(m.startedAt, "2025-03-04T05:06:07.890Z");
    assert.deepEqual(m.resumedAt, ["2025-03-05T00:00:00.000Z"]);

    await runStage(second, "calibrate", "h2", stage);
    assert.equal(calls, 2, "changed inputs: recomputed");
    m = await readManifest(join(dir, "manifest.json"));
    assert.deepEqual(m.stages.map((s) => [s.name, s.inputsHash, s.reused]), [["calibrate", "h2", false]]);
    await second.finish("ok");
  });
});

Deno.test("an interrupted stage leaves no record and runs again; a failed run is marked failed", async () => {
  await inTemp(async (root) => {
    const dir = join(root, "run");
    await assert.rejects(
      withRunDir({ command: "prune", dir, now: CLOCK }, async (run) => {
        await runStage(run, "a", "h", () => 1);
        await runStage(run, "b", "h", () => {
          throw new Error("killed");
        });
      }),
      /killed/,
    );
    let m = await readManifest(join(dir, "manifest.json"));
    assert.equal(m.status, "failed");
    assert.equal(m.error, "killed");
    assert.equal(m.endedAt, "2025-03-04T05:06:07.890Z");
    assert.deepEqual(listFiles(dir), ["manifest.json", "stages/a.json"]);

    const ran: string[] = [];
    await withRunDir({ command: "prune", dir, now: CLOCK }, async (run) => {
      await runStage(run, "a", "h", () => ran.push("a"));
      await runStage(run, "b", "h", () => ran.push("b"));
    });
    assert.deepEqual(ran, ["b"]);
    m = await readManifest(join(dir, "manifest.json"));
    assert.equal(m.status, "ok");
    assert.equal(m.error, null);
    assert.deepEqual(m.stages.map((s) => [s.name, s.reused]), [["a", true], ["b", false]]);
  });
});

Deno.test("resuming a directory of another command, or a bad stage name, is refused", async () => {
  await inTemp(async (root) => {
    const dir = join(root, "run");
    const run = await createRunDir({ command: "prune", dir, now: CLOCK });
    await assert.rejects(runStage(run, "../x", "h", () => 1), /Cannot run stage "\.\.\/x": stage names use/);
    await run.finish("ok");
    await assert.rejects(createRunDir({ command: "density", dir, force: false }), {
      message:
        `Cannot use ${dir} as the run directory: it holds a "prune" run, not "density"; choose another ` +
        "--out, or pass --force to replace it",
    });
  });
});
