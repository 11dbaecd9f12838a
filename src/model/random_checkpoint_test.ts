import assert from "node:assert/strict";
import { join } from "node:path";
import { MIRROR, needsMirror } from "../../test/fixtures/mirror.ts";
import { runTask } from "../../test/fixtures/run_task.ts";
import { tempDir } from "../../test/fixtures/temp_dir.ts";
import { sha256File } from "../util/download.ts";
import { loadModel } from "./load_model.ts";
import { writeRandomCheckpoint } from "./random_checkpoint.ts";
import { readSafetensorsHeader } from "./safetensors.ts";

const resolve = { mirror: MIRROR };

Deno.test("writeRandomCheckpoint writes a loadable tiny checkpoint: GQA, norms 1, weights normal(0, 0.02)", async () => {
  await using tmp = await tempDir();
  const out = join(tmp.path, "tiny");
  const { config } = await writeRandomCheckpoint(out, { shape: "tiny", seed: 5, resolve, quiet: true });
  const model = await loadModel(out, { mirror: null, cacheDir: join(tmp.path, "cache") });
  assert.deepEqual(model.config, config);
  assert.deepEqual(
    [config.numHeads, config.numKvHeads, config.headDim, config.vocabSize, config.tieWordEmbeddings],
    [4, 2, 16, 512, false],
  );
  assert.deepEqual(model.tokenizer.encode("Once upon a time"), [1, 403, 407, 261, 378]);
  assert.deepEqual(
    await model.weights.readFloat32("model.layers.1.input_layernorm.weight"),
    new Float32Array(64).fill(1),
  );
  const w = await model.weights.readFloat32("model.layers.0.mlp.up_proj.weight");
  const mean = w.reduce((a, b) => a + b, 0) / w.length;
  const std = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length);
  // n = 10240: SE of the mean 0.02/√n ≈ 2e-4, of the std 0.02/√(2n) ≈ 1.4e-4; allow 5 SE.
  assert.ok(Math.abs(mean) < 1e-3, `mean ${mean}`);
  assert.ok(Math.abs(std - 0.02) < 7e-4, `std ${std}`);
  const names = [...Deno.readDirSync(out)].map((e) => e.name).sort();
  assert.deepEqual(names, [
    "actpat_random.json",
    "config.json",
    "generation_config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
  ]);
  assert.deepEqual([...Deno.readDirSync(tmp.path)].map((e) => e.name).sort(), ["cache", "tiny"]);
});

Deno.test("writeRandomCheckpoint is seeded per tensor: same seed same bytes; fewer layers keep the same first layers", async () => {
  await using tmp = await tempDir();
  const a = join(tmp.path, "a"), b = join(tmp.path, "b"), c = join(tmp.path, "c"), d = join(tmp.path, "d");
  await writeRandomCheckpoint(a, { shape: "tiny", seed: 1, dtype: "bf16", resolve, quiet: true });
  await writeRandomCheckpoint(b, { shape: "tiny", seed: 1, dtype: "bf16", resolve, quiet: true });
  await writeRandomCheckpoint(c, { shape: "tiny", seed: 2, dtype: "bf16", resolve, quiet: true });
  await writeRandomCheckpoint(d, { shape: "tiny", seed: 1, dtype: "bf16", layers: 1, resolve, quiet: true });
  const hash = (dir: string) => sha256File(join(dir, "model.safetensors"));
  assert.equal(await hash(a), await hash(b));
  assert.notEqual(await hash(a), await hash(c));
  const opts = { mirror: null, cacheDir: join(tmp.path, "cache") };
  const [full, cut] = [await loadModel(a, opts), await loadModel(d, opts)];
  assert.equal(cut.config.numLayers, 1);
  assert.equal(cut.config.torchDtype, "bfloat16");
  assert.equal((await readSafetensorsHeader(join(d, "model.safetensors"))).tensors[0].dtype, "BF16");
  for (
    const name of ["model.embed_tokens.weight", "model.layers.0.self_attn.k_proj.weight", "lm_head.weight"]
  ) {
    assert.deepEqual(await cut.weights.readFloat32(name), await full.weights.readFloat32(name), name);
  }
});

Deno.test(
  "writeRandomCheckpoint refuses a non-empty output, bad layers and a missing tokenizer, leaving nothing",
  needsMirror,
  async () => {
    await using tmp = await tempDir();
    const out = join(tmp.path, "out");
    await Deno.mkdir(out);
    await Deno.writeTextFile(join(out, "keep.txt"), "mine");
    await assert.rejects(writeRandomCheckpoint(out, { shape: "tiny", resolve, quiet: true }), {
      message: `Cannot make checkpoint ${out}: ${out} exists and is not empty`,
    });
    assert.deepEqual([...Deno.readDirSync(out)].map((e) => e.name), ["keep.txt"]);
    const fresh = join(tmp.path, "fresh");
    await assert.rejects(writeRandomCheckpoint(fresh, { shape: "tiny", layers: 4, resolve, quiet: true }), {
      message: `Cannot make checkpoint ${fresh}: layers must be an integer from 1 to 3 for tiny, got 4`,
    });
    await assert.rejects(
      writeRandomCheckpoint(fresh, {
        shape: "tiny",
        tokenizer: join(tmp.path, "none"),
        resolve,
        quiet: true,
      }),
      { message: `Cannot resolve model ${join(tmp.path, "none")}: no such file or directory` },
    );
    await assert.rejects(
      writeRandomCheckpoint(fresh, { shape: "tiny", resolve: { mirror: null, embedded: null }, quiet: true }),
      (err: Error) => {
        assert.match(
          err.message,
          /the default tokenizer of tiny is the mirror entry "stories260K-hf", which is not/,
        );
        return true;
      },
    );
    assert.deepEqual([...Deno.readDirSync(tmp.path)].map((e) => e.name), ["out"]);
  },
);

Deno.test("deno task make-checkpoint writes a checkpoint and rejects bad flags with a clear message", async () => {
  await using tmp = await tempDir();
  const env = { ACTPAT_MIRROR: MIRROR ?? "", ACTPAT_CACHE: join(tmp.path, "cache") };
  const out = join(tmp.path, "ck");
  const ok = await runTask("make_checkpoint.ts", [
    "--shape",
    "tiny",
    "--layers",
    "2",
    "--dtype",
    "f16",
    "--seed",
    "3",
    "--quiet",
    "--out",
    out,
  ], env);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, new RegExp(`^wrote ${out}: tiny, 2 layers, float16, `));
  const model = await loadModel(out, { mirror: null, cacheDir: join(tmp.path, "cache") });
  assert.equal(model.config.torchDtype, "float16");

  const bad: [string[], string][] = [
    [
      ["--shape", "tiny", "--out", out, "--frobnicate"],
      "Cannot run make-checkpoint: Unknown option '--frobnicate'",
    ],
    [
      ["--shape", "gpt2", "--out", join(tmp.path, "x")],
      'Cannot parse --shape: unknown shape "gpt2" (shapes: tiny, ',
    ],
    [
      ["--shape", "tiny", "--out", join(tmp.path, "x"), "--layers", "0"],
      'Cannot parse --layers: "0" is not an integer ≥ 1',
    ],
    [
      ["--shape", "tiny", "--out", join(tmp.path, "x"), "--layers", "9"],
      `Cannot make checkpoint ${join(tmp.path, "x")}: layers must be an integer from 1 to 3 for tiny, got 9`,
    ],
    [
      ["--shape", "tiny", "--out", join(tmp.path, "x"), "--dtype", "f8"],
      'Cannot parse --dtype: unknown dtype "f8"',
    ],
    [
      ["--shape", "tiny", "--out", join(tmp.path, "x"), "--seed", "1.5"],
      'Cannot parse --seed: "1.5" is not an integer',
    ],
    [["--shape", "tiny"], "Cannot run make-checkpoint: --out is required"],
    [["--shape", "tiny", "--out", out], `Cannot make checkpoint ${out}: ${out} exists and is not empty`],
  ];
  for (const [args, message] of bad) {
    const r = await runTask("make_checkpoint.ts", args, env);
    assert.equal(r.code, 1, args.join(" "));
    const error = r.stderr.split("\n").find((l) => l.startsWith("error: "));
    assert.ok(error?.startsWith(`error: ${message}`), `${args.join(" ")}\n${r.stderr}`);
  }
  // Nothing half-written: only the successful checkpoint and the cache exist.
  assert.deepEqual([...Deno.readDirSync(tmp.path)].map((e) => e.name).sort(), ["cache", "ck"]);
});
