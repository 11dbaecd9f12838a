import assert from "node:assert/strict";
import { join } from "node:path";
import { MIRROR, STORIES_BIN, STORIES_HF } from "../../test/fixtures/mirror.ts";
import { runTask } from "../../test/fixtures/run_task.ts";
import { tempDir } from "../../test/fixtures/temp_dir.ts";
import { describeArchitecture, describeParameters, parameterCounts } from "./describe_model.ts";
import { readConfig } from "./parse_config.ts";
import { readSafetensorsHeader } from "./safetensors.ts";

Deno.test("parameterCounts of stories260K equals the values stored in its safetensors file", async () => {
  const config = await readConfig(STORIES_HF);
  const counts = parameterCounts(config);
  const header = await readSafetensorsHeader(join(STORIES_HF, "model.safetensors"));
  const stored = header.tensors.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
  assert.equal(counts.total, stored);
  assert.equal(counts.total, 260_032); // SOURCE.md
  assert.deepEqual(counts.layers[2], {
    input_layernorm: 64,
    q_proj: 4096,
    k_proj: 2048,
    v_proj: 2048,
    o_proj: 4096,
    post_attention_layernorm: 64,
    gate_proj: 11008,
    up_proj: 11008,
    down_proj: 11008,
  });
  assert.deepEqual([counts.embedTokens, counts.finalNorm, counts.lmHead], [32768, 64, 0]);
});

Deno.test("describeArchitecture and describeParameters print the stories260K architecture", async () => {
  const config = await readConfig(STORIES_HF);
  const arch = describeArchitecture(config);
  assert.match(arch, /^ {2}key\/value heads {4}4 \(GQA, 2 query heads each\)$/m);
  assert.match(arch, /^ {2}tied embeddings {4}yes$/m);
  const params = describeParameters(config);
  assert.match(params, /^ {2}all .* 227,200$/m);
  assert.match(params, /^ {2}total {9}260,032$/m);
});

Deno.test(
  "deno task info prints the same architecture for stories260K-hf and stories260K.bin",
  async () => {
    await using tmp = await tempDir();
    const env = { ACTPAT_MIRROR: MIRROR ?? "", ACTPAT_CACHE: join(tmp.path, "cache") };
    const hf = await runTask("info.ts", ["--model", STORIES_HF], env);
    const bin = await runTask("info.ts", ["--model", STORIES_BIN], env);
    assert.equal(hf.code, 0, hf.stderr);
    assert.equal(bin.code, 0, bin.stderr);
    const body = (s: string) => s.slice(s.indexOf("\narchitecture\n"));
    assert.ok(body(hf.stdout).length > 500);
    assert.equal(body(hf.stdout), body(bin.stdout));
    assert.match(hf.stdout, /^format {5}Hugging Face \(safetensors\)$/m);
    assert.match(bin.stdout, /^format {5}llama2\.c$/m);
    // The llama2.c file's sha256 as published in the mirror's SOURCE.md.
    assert.match(bin.stdout, /sha256 b0a507e7ad0f626624f17112325e66691f9076d622e1d3274d103d00299f2696\)$/m);
    // A hub-style reference through the mirror resolves to the same file.
    const viaMirror = await runTask(
      "info.ts",
      ["--model", "karpathy/tinyllamas/stories260K/stories260K.bin"],
      env,
    );
    assert.equal(body(viaMirror.stdout), body(bin.stdout));
  },
);

Deno.test("deno task info rejects bad flags and bad models with one clear message", async () => {
  await using tmp = await tempDir();
  const env = { ACTPAT_MIRROR: MIRROR ?? "", ACTPAT_CACHE: join(tmp.path, "cache") };
  const gpt2 = join(tmp.path, "gpt2");
  await Deno.mkdir(gpt2);
  await Deno.writeTextFile(join(gpt2, "config.json"), JSON.stringify({ model_type: "gpt2", n_embd: 768 }));
  const cases: [string[], string][] = [
    [["--model", STORIES_HF, "--verbose"], "Cannot run info: Unknown option '--verbose'"],
    [[], "Cannot run info: --model is required"],
    [
      ["--model", join(tmp.path, "absent")],
      `Cannot resolve model ${join(tmp.path, "absent")}: no such file or directory`,
    ],
    [
      ["--model", gpt2],
      `Cannot load model: unsupported model_type "gpt2" in ${gpt2}/config.json (supported: llama, mistral, qwen2, qwen)`,
    ],
  ];
  for (const [args, message] of cases) {
    const r = await runTask("info.ts", args, env);
    assert.equal(r.code, 2, args.join(" "));
    const error = r.stderr.split("\n").find((l) => l.startsWith("error: "));
    assert.ok(error?.startsWith(`error: ${message}`), `${args.join(" ")}\n${r.stderr}`);
  }
});
