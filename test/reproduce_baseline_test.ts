/**
 * The default reproduction, end to end as a user runs it, against the committed baseline
 * (results/baseline-stories260K): `deno task reproduce` must give the same numbers within the default
 * tolerances (paper/tolerances.json), `compare` of a run against itself must be clean, and a perturbed
 * checkpoint must be caught. Everything comes from the repository (models/, datasets/): no mirror, no network.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runTask } from "./fixtures/run_task.ts";
import { readReproduceConfig } from "../src/experiments/reproduce_config.ts";
import { loadModel } from "../src/model/load_model.ts";
import { writeSafetensors } from "../src/model/safetensors_writer.ts";
import { Pcg32 } from "../src/data/prng.ts";
import { STORIES_HF } from "./fixtures/mirror.ts";

const BASELINE = fileURLToPath(new URL("../results/baseline-stories260K", import.meta.url));

Deno.test({
  name:
    "deno task reproduce (default config) matches the committed baseline; compare of a run with itself is clean",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "actpat_reproduce_" });
    try {
      const run = await runTask("reproduce.ts", ["--out", out, "--no-pdf"]);
      assert.equal(run.code, 0, run.stderr);
      for (const stage of ["density", "similarity", "relevance", "table1", "transfer", "sts", "massive"]) {
        assert.match(
          run.stdout,
          new RegExp(`${stage}\\s+ran in`),
          `stage ${stage} did not run:\n${run.stdout}`,
        );
      }
      // Nothing is left out, and every file came from the repository, not a mirror or the cache.
      const manifest = JSON.parse(await Deno.readTextFile(join(out, "manifest.json")));
      assert.deepEqual(manifest.skipped, []);
      const origins = manifest.datasets.flatMap((d: { files: { from: string }[] }) =>
        d.files.map((f) => f.from)
      );
      assert.ok(origins.length >= 12 && origins.every((f: string) => f === "embedded"), origins.join(","));

      const compare = await runTask("compare.ts", [BASELINE, out, "--out", join(out, "cmp")]);
      assert.equal(compare.code, 0, `moved beyond tolerance:\n${compare.stdout}\n${compare.stderr}`);
      const self = await runTask("compare.ts", [out, out, "--out", join(out, "cmp-self")]);
      assert.equal(self.code, 0, self.stdout);

      // A second run into the same directory reuses every stage.
      const again = await runTask("reproduce.ts", ["--out", out, "--no-pdf"]);
      assert.equal(again.code, 0, again.stderr);
      assert.equal((again.stdout.match(/reused in/g) ?? []).length, 7, again.stdout);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test({
  name: "compare catches a perturbed checkpoint (weights + 1% noise): density moves, exit 1",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "actpat_perturbed_" });
    try {
      // The embedded stories260K-hf with every weight scaled by (1 + 0.01·u), u uniform in [-1, 1), seeded.
      const model = await loadModel(STORIES_HF);
      const rng = new Pcg32(7n, 1n);
      const tensors = [];
      for (const name of model.weights.names()) {
        const t = model.weights.get(name);
        const data = await model.weights.readFloat32(name);
        for (let i = 0; i < data.length; i++) data[i] *= 1 + 0.01 * (2 * (rng.nextUint32() / 2 ** 32) - 1);
        tensors.push({ name, shape: t.shape, dtype: "F32" as const, data });
      }
      const ckpt = join(dir, "model");
      await Deno.mkdir(ckpt);
      await writeSafetensors(join(ckpt, "model.safetensors"), tensors, { quiet: true });
      for (const f of ["config.json", "tokenizer.json", "tokenizer_config.json"]) {
        await Deno.copyFile(join(STORIES_HF, f), join(ckpt, f));
      }
      const config = await readReproduceConfig();
      await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify({ ...config, model: ckpt }));
      const out = join(dir, "run");
      const run = await runTask("reproduce.ts", [
        "--config",
        join(dir, "config.json"),
        "--out",
        out,
        "--only",
        "density",
        "--no-pdf",
      ]);
      assert.equal(run.code, 0, run.stderr);
      const compare = await runTask("compare.ts", [
        join(BASELINE, "01-density"),
        join(out, "01-density"),
        "--out",
        join(dir, "cmp"),
      ]);
      assert.equal(compare.code, 1, compare.stdout);
      const rows = await Deno.readTextFile(join(dir, "cmp", "compare.csv"));
      assert.ok(
        rows.split("\n").some((r) => r.startsWith("density.csv,") && r.includes(",beyond")),
        "density.csv values moved beyond tolerance",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
