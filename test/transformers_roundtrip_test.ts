/**
 * A checkpoint `deno task prune --save` wrote, loaded by transformers: it must give the perplexity actpat gives
 * it and hold exactly the zeros sparsity.csv reports (issue 19). transformers is not part of the product, so the
 * test runs only where `ACTPAT_REFERENCE_PYTHON` names a Python with torch and transformers, and is listed as
 * ignored elsewhere (CI installs nothing the README does not).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { STORIES_HF } from "./fixtures/mirror.ts";
import { runTask } from "./fixtures/run_task.ts";
import { tempDir } from "./fixtures/temp_dir.ts";

const PYTHON = Deno.env.get("ACTPAT_REFERENCE_PYTHON");
const SCRIPT = fileURLToPath(new URL("../bench/reference/transformers_perplexity.py", import.meta.url));
const PIECE = fileURLToPath(new URL("../datasets/wikitext-2-raw-v1/wiki.test.first200.raw", import.meta.url));
// No mirror: the calibration and evaluation pieces the repository embeds.
const ENV = { ACTPAT_MIRROR: "" };

async function evalPpl(model: string, out: string): Promise<string> {
  const args = ["--model", model, "--tasks", "wikitext2", "--split", "wikitext2=test-first200"];
  const r = await runTask("eval.ts", [...args, "--seq-len", "128", "--dtype", "float64", "--out", out], ENV);
  assert.equal(r.code, 0, r.stderr);
  return join(out, "eval.csv");
}

async function reference(model: string, evalCsv: string) {
  const out = await new Deno.Command(PYTHON!, {
    args: [SCRIPT, "--model", model, "--raw", PIECE, "--seq-len", "128", "--actpat", evalCsv],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, result: JSON.parse(dec.decode(out.stdout)), stderr: dec.decode(out.stderr) };
}

Deno.test({
  name: "a pruned checkpoint gives actpat's WikiText-2 perplexity in transformers, with sparsity.csv's zeros",
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

    const ok = await reference(pruned, await evalPpl(pruned, join(dir.path, "eval-pruned")));
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.result.zeros.linears, 35); // 5 layers × 7 linears
    assert.equal(ok.result.zeros.largestDifference, 0);
    assert.equal(ok.result.actpat.windows, ok.result.windows);
    assert.ok(ok.result.actpat.relativeDifference <= 1e-6, JSON.stringify(ok.result.actpat));

    // The comparison can fail: the dense model's perplexity is not the pruned one's.
    const dense = await evalPpl(STORIES_HF, join(dir.path, "eval-dense"));
    const wrong = await reference(pruned, dense);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /perplexity differs by/);
  },
});
