/**
 * Ctrl-C in a real task: `deno task density` interrupted mid-run exits 130, marks its manifest
 * "interrupted", prints the command that resumes it, and that command finishes the run.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MIRROR, STORIES_HF } from "./fixtures/mirror.ts";
import { tempDir } from "./fixtures/temp_dir.ts";
import { readManifest } from "../src/results/manifest.ts";

const DENSITY = fileURLToPath(new URL("../tasks/density.ts", import.meta.url));

Deno.test("density interrupted by SIGINT: exit 130, manifest interrupted, the printed command resumes it", async () => {
  await using tmp = await tempDir();
  const out = join(tmp.path, "run");
  const args = [
    "--model",
    STORIES_HF,
    "--datasets",
    "boolq",
    "--gamma",
    "2e-6",
    "--samples",
    "8",
    "--out",
    out,
  ];
  const env = { ACTPAT_MIRROR: MIRROR ?? "", ACTPAT_CACHE: join(tmp.path, "cache") };
  const command = () =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-check", DENSITY, ...args],
      env,
      stdout: "piped",
      stderr: "piped",
    });
  const child = command().spawn();
  // Interrupt once the run holds its folder.
  while (!(await Deno.stat(join(out, "manifest.json")).then(() => true, () => false))) {
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill("SIGINT");
  const [status, stderr] = await Promise.all([
    child.status,
    new Response(child.stderr).text(),
    new Response(child.stdout).text(),
  ]);
  assert.equal(status.code, 130, stderr);
  assert.match(
    stderr,
    new RegExp(
      `interrupted \\(SIGINT\\): ${out} is marked "interrupted"; finished stages are kept\\. Resume with:\\n` +
        `  deno task density ${args.join(" ").replaceAll(".", "\\.")}\\n`,
    ),
  );
  assert.doesNotMatch(stderr, /^\s+at /m);
  const interrupted = await readManifest(join(out, "manifest.json"));
  assert.deepEqual([interrupted.status, interrupted.error], ["interrupted", "interrupted by SIGINT"]);

  const resumed = await command().output();
  assert.equal(resumed.code, 0, new TextDecoder().decode(resumed.stderr));
  const done = await readManifest(join(out, "manifest.json"));
  assert.deepEqual([done.status, done.resumedAt.length], ["ok", 1]);
  assert.ok((await Deno.readTextFile(join(out, "density.csv"))).split("\n").length > 10);
  assert.equal(await Deno.stat(join(out, ".actpat.lock")).then(() => true, () => false), false);
});
