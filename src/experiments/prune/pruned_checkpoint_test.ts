import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "../../../test/fixtures/temp_dir.ts";
import { tinyQwenTensors, writeTinyQwen } from "../../../test/reference/tiny_qwen.ts";
import { LlamaRunner } from "../../model/llama/mod.ts";
import { expectedTensors, LINEAR_MODULES, linearWeightName } from "../../model/llama_config.ts";
import { loadModel } from "../../model/load_model.ts";
import { openCheckpointWeights, SHARD_INDEX } from "../../model/safetensors.ts";
import { defaultPruneConfig, pruneModel } from "./prune.ts";

const SUBSET_TIKTOKEN = fileURLToPath(
  new URL("../../../test/fixtures/qwen_tiktoken/qwen_subset.tiktoken", import.meta.url),
);

Deno.test("a pruned Qwen (v1) checkpoint is written in Qwen's own layout and reloads with the pruned weights", async () => {
  await using tmp = await tempDir();
  const source = join(tmp.path, "qwen");
  await Deno.mkdir(source);
  const { config: sourceConfig } = await writeTinyQwen(source, { tiktoken: SUBSET_TIKTOKEN, dtype: "BF16" });
  // transformers loads Qwen through its remote code: the files beside the weights travel with them.
  await Deno.writeTextFile(join(source, "modeling_qwen.py"), "# QWenLMHeadModel\n");
  const model = await loadModel(source, { quiet: true });
  const cfg = defaultPruneConfig({
    calibration: { dataset: "piqa", split: "validation" },
    nsamples: 2,
    seqLen: 12,
    batchSize: 2,
  });
  const run = { cache: false } as const;
  const inMemory = await pruneModel(model, cfg, { run, quiet: true });
  const dir = join(tmp.path, "pruned");
  await pruneModel(model, cfg, { run, spillDir: dir, save: true, quiet: true });

  // Stored under Qwen's names only: one c_attn weight and bias per block, no q/k/v of their own.
  const index = JSON.parse(await Deno.readTextFile(join(dir, SHARD_INDEX)));
  assert.deepEqual(
    Object.keys(index.weight_map).sort(),
    tinyQwenTensors(sourceConfig).map(([name]) => name).sort(),
  );
  assert.equal(index.weight_map["transformer.h.1.attn.c_attn.weight"], "model-00002-of-00003.safetensors");
  for (
    const f of [
      "config.json",
      "qwen.tiktoken",
      "tokenizer_config.json",
      "generation_config.json",
      "modeling_qwen.py",
    ]
  ) {
    assert.deepEqual(await Deno.readFile(join(dir, f)), await Deno.readFile(join(source, f)), `${f} copied`);
  }

  // c_attn holds the pruned q, k and v rows in that order, in the source's bfloat16.
  const { store: stored } = await openCheckpointWeights(dir);
  const cAttn = stored.get("transformer.h.0.attn.c_attn.weight");
  assert.deepEqual([cAttn.dtype, cAttn.shape], ["BF16", [24, 8]]);
  const qkv = await Promise.all(
    (["q_proj", "k_proj", "v_proj"] as const).map((m) =>
      inMemory.weights.readFloat32(linearWeightName(0, m))
    ),
  );
  assert.deepEqual(
    await stored.readFloat32("transformer.h.0.attn.c_attn.weight"),
    Float32Array.from(qkv.flatMap((x) => [...x])),
  );
  const zeros = (await stored.readFloat32("transformer.h.0.mlp.w2.weight")).filter((x) => x === 0).length;
  assert.equal(zeros, 48, "gate_proj (w2) pruned to half of its 12 × 8 weights");

  // Reloaded: every internal tensor as pruned in memory, and the same logits.
  const reloaded = await loadModel(dir, { quiet: true });
  assert.deepEqual(reloaded.config, model.config);
  for (const { name } of expectedTensors(model.config)) {
    assert.deepEqual(
      await reloaded.weights.readFloat32(name),
      await inMemory.weights.readFloat32(name),
      name,
    );
  }
  for (const m of LINEAR_MODULES) {
    const w = await reloaded.weights.readFloat32(linearWeightName(1, m));
    assert.equal(w.filter((x) => x === 0).length, w.length / 2, `${m} of layer 1 at 50%`);
  }
  const ids = [reloaded.tokenizer.encode("Hello world"), reloaded.tokenizer.encode("Lily and Tom")];
  const a = new LlamaRunner({ config: model.config, weights: inMemory.weights }, run);
  const b = new LlamaRunner(reloaded, run);
  try {
    const [x, y] = [await a.logits(ids), await b.logits(ids)];
    // The same graph over the same values (in memory as float32, on disk as exact bfloat16): bit-identical.
    x.forEach((row, i) => assert.deepEqual(row, y[i], `logits of sequence ${i}`));
  } finally {
    await a.release();
    await b.release();
  }
});
