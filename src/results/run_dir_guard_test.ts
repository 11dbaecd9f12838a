import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "../../test/fixtures/temp_dir.ts";
import { readManifest } from "./manifest.ts";
import { createRunDir, runStage, withRunDir } from "./run_dir.ts";

const CHILD = fileURLToPath(new URL("../../test/fixtures/run_dir_child.ts", import.meta.url));
const CONFIG = { samples: 2 };

/** Every file under `dir`, relative, sorted. */
async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory) out.push(...await listFiles(join(dir, e.name), `${prefix}${e.name}/`));
    else out.push(`${prefix}${e.name}`);
  }
  return out.sort();
}

/** Starts the child run in `dir` and waits until it holds the folder mid-run. */
async function startChild(dir: string, argv: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", CHILD, dir, ...argv],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.getReader();
  const dec = new TextDecoder();
  let seen = "";
  while (!seen.includes("ready")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`child ended before it was ready: ${seen}`);
    seen += dec.decode(value);
  }
  return { child, stdout: reader };
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.test(`a run holds its folder; ${signal} marks it interrupted, says how to resume, exits 130`, async () => {
    await using tmp = await tempDir();
    const dir = join(tmp.path, "run");
    const { child, stdout } = await startChild(dir, ["--samples", "2"]);
    try {
      await assert.rejects(createRunDir({ command: "density", config: CONFIG, dir }), {
        name: "ActpatError",
        message: new RegExp(
          `^Cannot use ${dir} as the run directory: another run is writing there \\(pid ${child.pid} on .* ` +
            "deno task density --samples 2\\); wait for it to end, or choose another --out$",
        ),
      });
    } finally {
      child.kill(signal);
    }
    const [status, stderr] = await Promise.all([
      child.status,
      new Response(child.stderr).text(),
      stdout.cancel(),
    ]);
    assert.equal(status.code, 130, stderr);
    assert.equal(
      stderr,
      `\ninterrupted (${signal}): ${dir} is marked "interrupted"; finished stages are kept. Resume with:\n` +
        `  deno task density --samples 2 --out ${dir}\n`,
    );
    const m = await readManifest(join(dir, "manifest.json"));
    assert.deepEqual([m.status, m.error], ["interrupted", `interrupted by ${signal}`]);
    assert.ok((await listFiles(dir)).some((f) => f.endsWith(".partial")), "the child left a partial file");

    // Resuming: the folder is free, the finished stage is reused, the stale partial file is gone.
    let ran = 0;
    await withRunDir({ command: "density", config: CONFIG, dir }, async (run) => {
      await runStage(run, "first", "h1", () => ran++);
    });
    assert.equal(ran, 0);
    assert.deepEqual(await listFiles(dir), ["manifest.json", "stages/first.json"]);
    const resumed = await readManifest(join(dir, "manifest.json"));
    assert.deepEqual([resumed.status, resumed.resumedAt.length], ["ok", 1]);
  });
}

Deno.test("a folder that is not an actpat run is refused, its files untouched; --force writes there", async () => {
  await using tmp = await tempDir();
  const dir = join(tmp.path, "mine");
  await Deno.mkdir(dir);
  await Deno.writeTextFile(join(dir, "density.csv"), "my own numbers\n");
  await Deno.writeTextFile(join(dir, "notes.txt.partial"), "my draft\n");
  await assert.rejects(createRunDir({ command: "density", config: CONFIG, dir, force: false }), {
    message:
      `Cannot use ${dir} as the run directory: it holds files (density.csv, notes.txt.partial) but no ` +
      "manifest.json: it is not an actpat run, and its files could be overwritten; choose another --out, or " +
      "pass --force to write there anyway",
  });
  assert.deepEqual(
    await listFiles(dir),
    ["density.csv", "notes.txt.partial"],
    "nothing added, nothing removed",
  );
  assert.equal(await Deno.readTextFile(join(dir, "density.csv")), "my own numbers\n");

  await withRunDir({ command: "density", config: CONFIG, dir, force: true }, async (run) => {
    await run.writeText("summary.txt", "x", "summary");
  });
  assert.deepEqual(await listFiles(dir), [
    "density.csv",
    "manifest.json",
    "notes.txt.partial",
    "summary.txt",
  ]);
});

Deno.test("a file, an empty folder, a damaged manifest", async () => {
  await using tmp = await tempDir();
  const file = join(tmp.path, "file");
  await Deno.writeTextFile(file, "x");
  await assert.rejects(createRunDir({ command: "density", dir: file }), {
    message: `Cannot use ${file} as the run directory: it is a file, not a folder`,
  });
  const empty = join(tmp.path, "empty");
  await Deno.mkdir(empty);
  await withRunDir({ command: "density", dir: empty }, async () => {});
  const damaged = join(tmp.path, "damaged");
  await Deno.mkdir(damaged);
  await Deno.writeTextFile(join(damaged, "manifest.json"), "{ not json");
  await assert.rejects(
    createRunDir({ command: "density", dir: damaged, force: false }),
    new RegExp(
      `^ActpatError: Cannot use ${damaged} as the run directory: its manifest.json is not an actpat manifest ` +
        "\\(Cannot read .*manifest.json: .*\\); choose another --out, or pass --force to write there anyway$",
    ),
  );
});

Deno.test("a run of another configuration is refused naming what differs; --force replaces it", async () => {
  await using tmp = await tempDir();
  const dir = join(tmp.path, "run");
  await withRunDir(
    { command: "density", config: { samples: 64, gamma: "2e-6", seed: 0 }, dir },
    async (run) => {
      await runStage(run, "sums", "h-sums", () => 1);
      await run.writeText("density.csv", "old\n", "counts");
      await run.writeText("histogram.csv", "old\n", "histogram");
      // What a run adds to its own config while it goes must not count as another configuration.
      run.manifest.config = { ...run.manifest.config, gammaValue: 2e-6 };
    },
  );
  await withRunDir(
    { command: "density", config: { samples: 64, gamma: "2e-6", seed: 0 }, dir },
    async () => {},
  );
  const other = { samples: 32, gamma: "q0.99", seed: 0 };
  await assert.rejects(createRunDir({ command: "density", config: other, dir, force: false }), {
    message: `Cannot use ${dir} as the run directory: it holds a "density" run of another configuration ` +
      '(samples: 64 → 32; gamma: "2e-6" → "q0.99"); resume it with the same flags, choose another --out, or ' +
      "pass --force to replace it",
  });
  let ran = 0;
  await withRunDir({ command: "density", config: other, dir, force: true }, async (run) => {
    await runStage(run, "sums", "h-sums", () => ran++);
    await run.writeText("density.csv", "new\n", "counts");
  });
  assert.equal(ran, 0, "a stage whose inputs are unchanged is still reused");
  // The replaced run's output that this run did not write again is gone; nothing stale is left beside it.
  assert.deepEqual(await listFiles(dir), ["density.csv", "manifest.json", "stages/sums.json"]);
  const m = await readManifest(join(dir, "manifest.json"));
  assert.deepEqual([m.config, m.outputs.map((o) => o.file)], [other, ["density.csv"]]);
});

Deno.test("stale .partial files are removed on resume, except in a subfolder another live run holds", async () => {
  await using tmp = await tempDir();
  const dir = join(tmp.path, "run");
  await withRunDir({ command: "density", config: CONFIG, dir }, async () => {});
  await Deno.mkdir(join(dir, "density_sums"));
  await Deno.writeTextFile(join(dir, "density.csv.4000000.partial"), "half");
  await Deno.writeTextFile(join(dir, "density_sums/boolq.f32.4000000.partial"), "half");
  const inner = join(dir, "01-density");
  const held = await createRunDir({ command: "density", config: CONFIG, dir: inner });
  await Deno.writeTextFile(join(inner, `x.csv.${Deno.pid}.partial`), "being written");
  await withRunDir({ command: "density", config: CONFIG, dir }, async () => {});
  assert.deepEqual(await listFiles(dir), [
    "01-density/.actpat.lock",
    `01-density/manifest.json`,
    `01-density/x.csv.${Deno.pid}.partial`,
    "manifest.json",
  ]);
  await held.finish("ok");
});
