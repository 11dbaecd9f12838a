/**
 * End-to-end checks on the one real trained checkpoint available offline, from both of its forms: the
 * Hugging Face copy (safetensors → external data) and the llama2.c original (converted in memory).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { mirrorPath, STORIES260K_GREEDY_64 } from "../../../test/reference/stories260k.ts";
import { loadModel } from "../load_model.ts";
import { greedyGenerate } from "./greedy.ts";
import { LlamaRunner } from "./llama_runner.ts";

const CHECKPOINTS = {
  hf: mirrorPath("models/stories260K-hf"),
  llama2c: mirrorPath("models/karpathy/tinyllamas/stories260K/stories260K.bin"),
};

/**
 * run.c's 64 steps are positions, BOS and the 4 prompt tokens included: 64 − 4 = 60 generated tokens print
 * the reference text.
 */
const NEW_TOKENS = 60;

async function withRunner(
  ref: string,
  fn: (runner: LlamaRunner, model: Awaited<ReturnType<typeof loadModel>>) => Promise<void>,
) {
  const cache = await Deno.makeTempDir();
  try {
    const model = await loadModel(ref, { cacheDir: cache, quiet: true });
    const runner = new LlamaRunner(model, { threads: 1, cache });
    try {
      await fn(runner, model);
    } finally {
      await runner.release();
    }
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
}

for (const [form, ref] of Object.entries(CHECKPOINTS)) {
  Deno.test(`stories260K (${form}): logits of "<s>Once upon a time" match reference_logits.json within 1e-4`, async () => {
    const expected = JSON.parse(
      await Deno.readTextFile(mirrorPath("models/stories260K-hf/reference_logits.json")),
    ) as { token_ids_with_bos: number[]; logits: number[][] };
    await withRunner(ref, async (runner, model) => {
      assert.deepEqual(
        model.tokenizer.encode("Once upon a time", { addBos: true }),
        expected.token_ids_with_bos,
      );
      const [logits] = await runner.logits([expected.token_ids_with_bos]);
      const V = model.config.vocabSize;
      let worst = 0;
      expected.logits.forEach((row, t) =>
        row.forEach((x, v) => worst = Math.max(worst, Math.abs(logits[t * V + v] - x)))
      );
      // The file is a float64 run.c port; float32 inference over 5 layers lands within ~1e-5 of it.
      assert(worst < 1e-4, `max |Δlogit| ${worst}`);
    });
  });

  Deno.test(`stories260K (${form}): greedy decoding reproduces run.c's 64-step text exactly`, async () => {
    await withRunner(ref, async (runner, model) => {
      const prompt = model.tokenizer.encode("Once upon a time", { addBos: true });
      const out = await greedyGenerate(runner, prompt, NEW_TOKENS);
      assert.equal(model.tokenizer.decode([...prompt, ...out]), STORIES260K_GREEDY_64);
    });
  });
}

Deno.test("deno task generate prints the reference continuation", async () => {
  const cache = await Deno.makeTempDir();
  try {
    const task = fileURLToPath(new URL("../../../tasks/generate.ts", import.meta.url));
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        task,
        "--model",
        CHECKPOINTS.hf,
        "--prompt",
        "Once upon a time",
        "--max-new-tokens",
        `${NEW_TOKENS}`,
        "--threads",
        "1",
      ],
      env: { ACTPAT_CACHE: cache },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    assert.equal(new TextDecoder().decode(out.stdout), STORIES260K_GREEDY_64 + "\n");
    const bad = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", task, "--model", CHECKPOINTS.hf, "--prompt", "x", "--max-new-tokens", "zero"],
      env: { ACTPAT_CACHE: cache },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(bad.code, 2, "a usage error");
    assert.match(
      new TextDecoder().decode(bad.stderr),
      /Cannot parse --max-new-tokens: "zero" is not a positive integer/,
    );
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
});
