import assert from "node:assert/strict";
import { join } from "node:path";
import { serveFolder } from "../../test/fixtures/file_server.ts";
import {
  LLAMA2_TOKENIZER,
  needsMirror,
  STORIES_BIN,
  STORIES_HF,
  STORIES_TOK,
} from "../../test/fixtures/mirror.ts";
import { tempDir } from "../../test/fixtures/temp_dir.ts";
import { loadModel } from "./load_model.ts";

/** A copy of stories260K-hf in a temporary folder, to break one thing at a time. */
async function storiesCopy(dir: string): Promise<string> {
  const out = join(dir, "stories");
  await Deno.mkdir(out);
  for (const f of ["config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors"]) {
    await Deno.writeFile(join(out, f), await Deno.readFile(join(STORIES_HF, f)));
  }
  return out;
}

Deno.test(
  "loadModel loads stories260K from its Hugging Face folder and its llama2.c file alike",
  async () => {
    await using tmp = await tempDir();
    const options = { mirror: null, cacheDir: join(tmp.path, "cache"), quiet: true };
    const hf = await loadModel(STORIES_HF, options);
    const bin = await loadModel(STORIES_BIN, options);
    assert.equal(hf.format, "hf");
    assert.equal(bin.format, "llama2c");
    assert.equal(hf.dir, STORIES_HF);
    assert.equal(bin.dir, join(STORIES_BIN, ".."));
    assert.deepEqual(hf.config, bin.config);
    for (const text of ["Once upon a time", "The cat sat. 🙂"]) {
      assert.deepEqual(hf.tokenizer.encode(text), bin.tokenizer.encode(text));
    }
    // sha256 and size as published in the mirror's SOURCE.md.
    assert.deepEqual(bin.files, [{
      path: STORIES_BIN,
      bytes: 1_056_540,
      sha256: "b0a507e7ad0f626624f17112325e66691f9076d622e1d3274d103d00299f2696",
    }]);
    assert.equal(hf.files.length, 1);
    assert.equal(hf.files[0].path, join(STORIES_HF, "model.safetensors"));
  },
);

Deno.test(
  "loadModel takes a tokenizer reference for a llama2.c file without a sibling tok*.bin",
  needsMirror,
  async () => {
    await using tmp = await tempDir();
    const options = { mirror: null, cacheDir: join(tmp.path, "cache"), quiet: true };
    const bin = join(tmp.path, "model.bin");
    await Deno.writeFile(bin, await Deno.readFile(STORIES_BIN));
    await assert.rejects(loadModel(bin, options), {
      message: `Cannot load model: no tokenizer for model.bin: expected ${tmp.path}/tok512.bin; ` +
        "pass a tokenizer reference (--tokenizer)",
    });
    const withBin = await loadModel(bin, { ...options, tokenizer: STORIES_TOK });
    const withHf = await loadModel(bin, { ...options, tokenizer: STORIES_HF });
    assert.deepEqual(
      withBin.tokenizer.encode("Once upon a time"),
      withHf.tokenizer.encode("Once upon a time"),
    );
    await assert.rejects(loadModel(bin, { ...options, tokenizer: LLAMA2_TOKENIZER }), {
      message: `Cannot load model: the tokenizer has 32000 tokens but ${bin} has a vocabulary of 512`,
    });
  },
);

Deno.test(
  "loadModel downloads an HF folder and a llama2.c file with its sibling tokenizer from the hub",
  async () => {
    await using tmp = await tempDir();
    const served = join(tmp.path, "served");
    const stories = join(served, "test/stories/resolve/main");
    const tiny = join(served, "karpathy/tinyllamas/resolve/main/stories260K");
    await Deno.mkdir(stories, { recursive: true });
    await Deno.mkdir(tiny, { recursive: true });
    for (const f of ["config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors"]) {
      await Deno.copyFile(join(STORIES_HF, f), join(stories, f));
    }
    await Deno.copyFile(STORIES_BIN, join(tiny, "stories260K.bin"));
    await Deno.copyFile(STORIES_TOK, join(tiny, "tok512.bin"));
    const server = serveFolder(served);
    try {
      const options = { mirror: null, cacheDir: join(tmp.path, "cache"), endpoint: server.url, quiet: true };
      const hf = await loadModel("test/stories", options);
      const bin = await loadModel("karpathy/tinyllamas/stories260K/stories260K.bin", options);
      assert.deepEqual(hf.config, bin.config);
      assert.deepEqual(bin.tokenizer.encode("Once upon a time"), [1, 403, 407, 261, 378]);
      assert.equal(bin.files[0].sha256, "b0a507e7ad0f626624f17112325e66691f9076d622e1d3274d103d00299f2696");
    } finally {
      await server.close();
    }
  },
);

Deno.test("loadModel names what is wrong with a broken checkpoint folder", async (t) => {
  await using tmp = await tempDir();
  const options = { mirror: null, cacheDir: join(tmp.path, "cache"), quiet: true };
  const dir = await storiesCopy(tmp.path);
  const config = JSON.parse(await Deno.readTextFile(join(dir, "config.json")));
  await t.step("tensors disagreeing with config.json", async () => {
    await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify({ ...config, intermediate_size: 128 }));
    await assert.rejects(loadModel(dir, options), {
      message: `Cannot load model: tensor model.layers.0.mlp.gate_proj.weight has shape [172, 64] but ` +
        `${dir}/config.json implies [128, 64] (${dir}/model.safetensors)`,
    });
  });
  await t.step("unsupported architecture", async () => {
    await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify({ ...config, model_type: "gemma" }));
    await assert.rejects(loadModel(dir, options), {
      message:
        `Cannot load model: unsupported model_type "gemma" in ${dir}/config.json (supported: llama, mistral, qwen2, qwen)`,
    });
    await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify(config));
  });
  await t.step("missing tokenizer.json", async () => {
    await Deno.rename(join(dir, "tokenizer.json"), join(dir, "tokenizer.json.bak"));
    await assert.rejects(loadModel(dir, options), {
      message: `Cannot load tokenizer: ${dir}/tokenizer.json: no such file`,
    });
    await Deno.rename(join(dir, "tokenizer.json.bak"), join(dir, "tokenizer.json"));
  });
  await t.step("truncated weights", async () => {
    const full = await Deno.readFile(join(STORIES_HF, "model.safetensors"));
    await Deno.writeFile(join(dir, "model.safetensors"), full.subarray(0, 100_000));
    await assert.rejects(loadModel(dir, options), (err: Error) => {
      assert.match(
        err.message,
        new RegExp(
          `^Cannot read safetensors file ${dir}/model\\.safetensors: tensor \\S+ has data_offsets .* beyond`,
        ),
      );
      return true;
    });
  });
  await t.step("unreadable weights (a folder in place of the file)", async () => {
    await Deno.remove(join(dir, "model.safetensors"));
    await Deno.mkdir(join(dir, "model.safetensors"));
    await assert.rejects(
      loadModel(dir, options),
      /^ActpatError: Cannot read safetensors file .*model\.safetensors: /,
    );
  });
  await t.step("missing config.json", async () => {
    await Deno.remove(join(dir, "config.json"));
    await assert.rejects(loadModel(dir, options), { message: `Cannot load model: no config.json in ${dir}` });
  });
  await t.step("a file that is not a llama2.c checkpoint", async () => {
    await assert.rejects(loadModel(join(dir, "tokenizer.json"), options), {
      message: `Cannot load model: ${dir}/tokenizer.json is a file but not a llama2.c checkpoint (*.bin); ` +
        "pass the checkpoint folder instead",
    });
  });
});
