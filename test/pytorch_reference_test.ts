/**
 * actpat against PyTorch and transformers on the CPU, through the project's reference scripts
 * (bench/reference/): the paper's activation counts of the real stories260K; the massive-activation statistics
 * and STS activation similarities of the committed baseline (which the baseline test holds actpat to);
 * BoolQ/PIQA predictions against lm-eval's scoring; Wanda's masks against a PyTorch Wanda on the run's
 * calibration windows; and a checkpoint `deno task prune --save` wrote, loaded by transformers, which must give
 * the perplexity actpat gives it and hold exactly the zeros sparsity.csv reports (issue 19). PyTorch is not
 * part of the product, so these run only where `ACTPAT_REFERENCE_PYTHON` names a Python with torch and
 * transformers, and are listed as ignored elsewhere (CI installs nothing the README does not).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { STORIES_HF } from "./fixtures/mirror.ts";
import { runTask } from "./fixtures/run_task.ts";
import { tempDir } from "./fixtures/temp_dir.ts";

const PYTHON = Deno.env.get("ACTPAT_REFERENCE_PYTHON");
const reference = (name: string) => fileURLToPath(new URL(`../bench/reference/${name}`, import.meta.url));
/** A file of the dataset pieces the repository embeds. */
const data = (path: string) => fileURLToPath(new URL(`../datasets/${path}`, import.meta.url));
const PIECE = data("wikitext-2-raw-v1/wiki.test.first200.raw");
// No mirror: the calibration and evaluation pieces the repository embeds.
const ENV = { ACTPAT_MIRROR: "" };

async function evalPpl(model: string, out: string): Promise<string> {
  const args = ["--model", model, "--tasks", "wikitext2", "--split", "wikitext2=test-first200"];
  const r = await runTask("eval.ts", [...args, "--seq-len", "128", "--dtype", "float64", "--out", out], ENV);
  assert.equal(r.code, 0, r.stderr);
  return join(out, "eval.csv");
}

async function python(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(PYTHON!, { args, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function transformersPpl(model: string, evalCsv: string) {
  const script = reference("transformers_perplexity.py");
  const r = await python([script, "--model", model, "--raw", PIECE, "--seq-len", "128", "--actpat", evalCsv]);
  return { ...r, result: JSON.parse(r.stdout) };
}

Deno.test({
  name: "stories260K's activation counts equal PyTorch's at every layer and threshold (CPU, float32)",
  ignore: !PYTHON,
  fn: async () => {
    await using dir = await tempDir();
    const [csv, json, out] = ["bench.csv", "bench.json", "reference.json"].map((f) => join(dir.path, f));
    const flags = ["--suite", "density", "--shapes", "stories260K", "--ep", "cpu", "--seq-lens", "128"];
    const sizes = ["--samples", "32", "--batch", "8", "--gamma", "1e-4,q0.5,q0.9"];
    const outputs = ["--out", csv, "--density-json", json, "--quiet"];
    const bench = await runTask("bench.ts", [...flags, ...sizes, ...outputs], ENV);
    assert.equal(bench.code, 0, bench.stderr);
    const check = (actpat: string) =>
      python([reference("density_reference.py"), "--actpat", actpat, "--device", "cpu", "--out", out]);
    const r = await check(json);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const [c] = JSON.parse(await Deno.readTextFile(out)).comparisons;
    // Both sides sum the same float32 products in different orders: a count moves only where a mean sits
    // within rounding of a threshold (none did: 0 measured); y and the per-layer sums agree to ~1e-7.
    assert.ok(c.max_count_rel <= 1e-3, JSON.stringify(c));
    assert.ok(c.y_rel_l2 <= 1e-5 && c.layer_sums_rel_l2 <= 1e-5, JSON.stringify(c));

    // The comparison can fail: one layer's count 1 % off.
    const record = JSON.parse(await Deno.readTextFile(json));
    record.records[0].counts[2][0] = Math.round(record.records[0].counts[2][0] * 1.01);
    const off = join(dir.path, "off.json");
    await Deno.writeTextFile(off, JSON.stringify(record));
    assert.equal((await check(off)).code, 1);
  },
});

Deno.test({
  name:
    "the baseline's massive-activation statistics and signature-figure values equal transformers' hidden states",
  ignore: !PYTHON,
  fn: async () => {
    const run = fileURLToPath(new URL("../results/baseline-stories260K/07-massive", import.meta.url));
    const args = [reference("massive_reference.py"), "--model", STORIES_HF, "--raw", PIECE];
    const r = await python([...args, "--run", run]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const result = JSON.parse(r.stdout);
    assert.deepEqual([result.sequences, result.layers], [10, 5]);
    assert.ok(result.featureValues > 0);

    // The comparison can fail: the same run with every window one token later.
    await using dir = await tempDir();
    await Deno.copyFile(join(run, "massive.csv"), join(dir.path, "massive.csv"));
    await Deno.copyFile(join(run, "massive_features.csv"), join(dir.path, "massive_features.csv"));
    const manifest = JSON.parse(await Deno.readTextFile(join(run, "manifest.json")));
    for (const d of manifest.datasets) {
      if (d.windows) d.windows.starts = d.windows.starts.map((s: number) => s + 1);
    }
    await Deno.writeTextFile(join(dir.path, "manifest.json"), JSON.stringify(manifest));
    const shifted = await python([...args, "--run", dir.path]);
    assert.equal(shifted.code, 1, shifted.stdout);
    assert.match(shifted.stderr, /relative difference/);
  },
});

Deno.test({
  name: "the baseline's STS activation similarities (every pair and layer) equal PyTorch's",
  ignore: !PYTHON,
  fn: async () => {
    const run = fileURLToPath(new URL("../results/baseline-stories260K/06-sts", import.meta.url));
    const check = (dir: string) =>
      python([
        ...[reference("sts_reference.py"), "--run", dir, "--model", STORIES_HF],
        ...["--stsb", data("stsb/sts-dev.first300.csv"), "--sick", data("sick/SICK_trial.first300.txt")],
      ]);
    const r = await check(run);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual([JSON.parse(r.stdout).pairs, JSON.parse(r.stdout).similarities], [128, 640]);

    // The comparison can fail: the first pair's rows pointed at the next row of the file.
    await using dir = await tempDir();
    const lines = (await Deno.readTextFile(join(run, "sts_pairs.csv"))).split("\n");
    const first = lines[1].split(",").slice(0, 4).join(",");
    const moved = lines.map((l) => {
      if (!l.startsWith(first + ",")) return l;
      const f = l.split(",");
      f[3] = String(Number(f[3]) + 1);
      return f.join(",");
    });
    await Deno.writeTextFile(join(dir.path, "sts_pairs.csv"), moved.join("\n"));
    const wrong = await check(dir.path);
    assert.equal(wrong.code, 1, wrong.stdout);
  },
});

Deno.test({
  name: "BoolQ and PIQA predictions (acc and acc_norm) equal lm-eval's scoring written again in transformers",
  ignore: !PYTHON,
  fn: async () => {
    await using dir = await tempDir();
    const out = join(dir.path, "eval");
    const splits = "boolq=validation-first200,piqa=validation-first200";
    const r = await runTask("eval.ts", [
      "--model",
      STORIES_HF,
      "--tasks",
      "boolq,piqa",
      "--split",
      splits,
      "--out",
      out,
    ], ENV);
    assert.equal(r.code, 0, r.stderr);
    const check = (items: string) =>
      python([
        ...[reference("lm_eval_reference.py"), "--model", STORIES_HF, "--actpat", items],
        ...["--boolq", data("boolq/dev.first200.jsonl"), "--piqa", data("piqa/valid.first200.jsonl")],
        ...["--piqa-labels", data("piqa/valid-labels.first200.lst")],
      ]);
    const same = await check(join(out, "eval_items.csv"));
    assert.equal(same.code, 0, same.stdout + same.stderr);
    assert.equal(JSON.parse(same.stdout).items, 400);

    // The comparison can fail: one prediction flipped.
    const lines = (await Deno.readTextFile(join(out, "eval_items.csv"))).split("\n");
    const cells = lines[1].split(",");
    cells[5] = String(1 - Number(cells[5])); // pred
    lines[1] = cells.join(",");
    const flipped = join(dir.path, "flipped.csv");
    await Deno.writeTextFile(flipped, lines.join("\n"));
    const wrong = await check(flipped);
    assert.equal(wrong.code, 1, wrong.stdout);
    assert.match(wrong.stderr, /1 of 400 items differ/);
  },
});

Deno.test({
  name:
    "Wanda's masks equal a PyTorch Wanda on the same windows; the checkpoint gives actpat's perplexity in transformers",
  ignore: !PYTHON,
  fn: async () => {
    await using dir = await tempDir();
    const pruned = join(dir.path, "pruned");
    const prune = await runTask("prune.ts", [
      "--model",
      STORIES_HF,
      "--sparsity",
      "0.5",
      "--calibration",
      "c4",
      "--nsamples",
      "16",
      "--seq-len",
      "128",
      "--save",
      pruned,
      "--out",
      join(dir.path, "prune-run"),
    ], ENV);
    assert.equal(prune.code, 0, prune.stderr);

    const rows = data("c4/en/c4-train.00000-of-01024.first100.jsonl");
    const wanda = (saved: string) =>
      python([
        ...[reference("wanda_reference.py"), "--model", STORIES_HF, "--pruned", saved],
        ...["--run", join(dir.path, "prune-run"), "--rows", rows],
      ]);
    const same = await wanda(pruned);
    assert.equal(same.code, 0, same.stdout + same.stderr);
    assert.equal(JSON.parse(same.stdout).entriesDiffering, 0);
    // The comparison can fail: the dense checkpoint has none of the zeros.
    const unpruned = await wanda(STORIES_HF);
    assert.equal(unpruned.code, 1, unpruned.stdout);

    const ok = await transformersPpl(pruned, await evalPpl(pruned, join(dir.path, "eval-pruned")));
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.result.zeros.linears, 35); // 5 layers × 7 linears
    assert.equal(ok.result.zeros.largestDifference, 0);
    assert.equal(ok.result.actpat.windows, ok.result.windows);
    assert.ok(ok.result.actpat.relativeDifference <= 1e-6, JSON.stringify(ok.result.actpat));

    // The comparison can fail: the dense model's perplexity is not the pruned one's.
    const dense = await evalPpl(STORIES_HF, join(dir.path, "eval-dense"));
    const wrong = await transformersPpl(pruned, dense);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /perplexity differs by/);
  },
});
