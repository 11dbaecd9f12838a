import assert from "node:assert/strict";
import { join } from "node:path";
import { needsMirror, STORIES_BIN, STORIES_HF } from "../../../test/fixtures/mirror.ts";
import { runTask } from "../../../test/fixtures/run_task.ts";
import { tempDir } from "../../../test/fixtures/temp_dir.ts";
import { LlamaRunner } from "../../model/llama/mod.ts";
import { LINEAR_MODULES, linearShape, linearWeightName } from "../../model/llama_config.ts";
import { loadModel } from "../../model/load_model.ts";
import { writeRandomCheckpoint } from "../../model/random_checkpoint.ts";
import { readCsv } from "../../results/csv.ts";
import { activationAllocation, owlAllocation } from "./layer_allocation.ts";
import {
  calibrationSeqLen,
  defaultPruneConfig,
  OWL_SEQ_LEN,
  type PruneConfig,
  pruneModel,
  SPARSITY_SCHEMA,
} from "./prune.ts";
import { parseGamma } from "../density/mod.ts";

/** Small calibration from the mirror: PIQA prompts (short, so tokenizing is quick). */
function config(overrides: Partial<PruneConfig> = {}): PruneConfig {
  return defaultPruneConfig({
    calibration: { dataset: "piqa", split: "validation" },
    nsamples: 4,
    seqLen: 32,
    batchSize: 2,
    ...overrides,
  });
}
const run = { cache: false } as const;
const PROMPTS = ["Once upon a time, there was a", "The little dog ran to the park and", "Lily and Tom"];

async function assertSameLogits(a: LlamaRunner, b: LlamaRunner, ids: number[][]): Promise<void> {
  const [x, y] = [await a.logits(ids), await b.logits(ids)];
  // The same graph over the same weight values, once inline, once external data: bit-identical.
  x.forEach((row, i) => assert.deepEqual(row, y[i], `logits of sequence ${i}`));
}

Deno.test(
  "saved pruned checkpoint reloads with the weights and logits of the in-memory pruned model",
  needsMirror,
  async () => {
    await using tmp = await tempDir();
    const model = await loadModel(STORIES_HF);
    const cfg = config();
    const inMemory = await pruneModel(model, cfg, { run, quiet: true });
    assert(inMemory.weights.replaced().every((n) => inMemory.weights.get(n).source.kind === "memory"));
    const dir = join(tmp.path, "pruned");
    const saved = await pruneModel(model, cfg, { run, spillDir: dir, save: true, quiet: true });
    const reloaded = await loadModel(dir);
    assert.deepEqual(reloaded.config, model.config);
    for (const name of model.weights.names()) {
      assert.deepEqual(
        await reloaded.weights.readFloat32(name),
        await inMemory.weights.readFloat32(name),
        name,
      );
      assert.equal(reloaded.weights.get(name).dtype, "F32");
    }
    const ids = PROMPTS.map((p) => model.tokenizer.encode(p, { addBos: true }));
    assert.deepEqual(
      reloaded.tokenizer.encode(PROMPTS[0], { addBos: true }),
      ids[0],
      "tokenizer files copied",
    );
    const a = new LlamaRunner({ config: model.config, weights: inMemory.weights }, run);
    const b = new LlamaRunner(reloaded, run);
    try {
      await assertSameLogits(a, b, ids);
    } finally {
      await a.release();
      await b.release();
    }
    // The saved folder: shards + index + config + tokenizer + pruning.json + sparsity.csv.
    const files = new Set([...Deno.readDirSync(dir)].map((e) => e.name));
    for (
      const f of [
        "model-00001-of-00006.safetensors",
        "model-00006-of-00006.safetensors",
        "model.safetensors.index.json",
        "config.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "pruning.json",
        "sparsity.csv",
      ]
    ) assert(files.has(f), `${f} written`);
    const pruning = JSON.parse(await Deno.readTextFile(join(dir, "pruning.json")));
    assert.equal(pruning.method, "wanda");
    assert.equal(pruning.allocation, "uniform");
    assert.deepEqual(pruning.layers.map((l: { target: number }) => l.target), [0.5, 0.5, 0.5, 0.5, 0.5]);
    assert.equal(pruning.calibration.dataset, "piqa");
    assert.equal(pruning.calibration.split, "validation");
    assert.deepEqual(pruning.calibration.examples.ids, saved.calibration!.record.examples!.ids);
    assert.equal(pruning.achievedSparsity, 0.5);
    const rows = await readCsv(join(dir, "sparsity.csv"), SPARSITY_SCHEMA);
    assert.equal(rows.length, 5 * 7);
    for (const r of rows) {
      const [, cols] = linearShape(model.config, r.module as (typeof LINEAR_MODULES)[number]);
      assert.equal(r.pruned, Math.floor(cols * 0.5) * (r.params as number) / cols);
      assert.equal(r.achieved, 0.5);
    }
    // A second save into the same folder is allowed (it holds a pruning.json); the source folder is not.
    await pruneModel(model, config({ method: "magnitude" }), { run, spillDir: dir, save: true, quiet: true });
    await assert.rejects(
      () => pruneModel(model, cfg, { run, spillDir: STORIES_HF, save: true, quiet: true }),
      /Cannot save pruned model: --save .* is the source checkpoint itself/,
    );
    await Deno.mkdir(join(tmp.path, "other"));
    await Deno.writeTextFile(join(tmp.path, "other", "x.txt"), "x");
    await assert.rejects(
      () => pruneModel(model, cfg, { run, spillDir: join(tmp.path, "other"), save: true, quiet: true }),
      /exists, is not empty and holds no earlier pruning.json/,
    );
  },
);

Deno.test("float16 checkpoint: magnitude pruning saves float16 shards that reload to the same logits", async () => {
  await using tmp = await tempDir();
  const src = join(tmp.path, "tiny16");
  await writeRandomCheckpoint(src, { shape: "tiny", dtype: "float16", seed: 2, quiet: true });
  const model = await loadModel(src);
  const cfg = config({ method: "magnitude", sparsity: 0.3 });
  const inMemory = await pruneModel(model, cfg, { run, quiet: true });
  assert.equal(inMemory.calibration, null, "magnitude needs no calibration");
  const dir = join(tmp.path, "pruned");
  await pruneModel(model, cfg, { run, spillDir: dir, save: true, quiet: true });
  const reloaded = await loadModel(dir);
  for (const name of model.weights.names()) {
    assert.equal(reloaded.weights.get(name).dtype, "F16", `${name} stays F16`);
    assert.deepEqual(
      await reloaded.weights.readFloat32(name),
      await inMemory.weights.readFloat32(name),
      name,
    );
  }
  const a = new LlamaRunner({ config: model.config, weights: inMemory.weights }, run);
  const b = new LlamaRunner(reloaded, run);
  try {
    await assertSameLogits(a, b, [[1, 5, 9, 200, 3], [1, 7]]);
  } finally {
    await a.release();
    await b.release();
  }
});

Deno.test(
  "activation allocation from a density run: targets by the paper's formula, exact counts per row",
  needsMirror,
  async () => {
    await using tmp = await tempDir();
    const model = await loadModel(STORIES_HF);
    const counts = [5000, 4200, 3900, 2500, 800];
    const header =
      "model,dataset,layer,module,params,active,fraction,gamma,gamma_spec,samples,seed,exact,active_low,active_high";
    const lines = [header];
    for (let l = 0; l < 5; l++) {
      // Split each layer's count over its modules; a per-layer "all" row (as density.csv has) is ignored.
      LINEAR_MODULES.forEach((m, i) => {
        const c = i === 0 ? counts[l] - 6 * 10 : 10;
        lines.push(`stories,piqa,${l},${m},1,${c},0,2e-6,2e-6,64,0,true,${c},${c}`);
      });
      lines.push(`stories,piqa,${l},all,1,${counts[l]},0,2e-6,2e-6,64,0,true,${counts[l]},${counts[l]}`);
    }
    await Deno.writeTextFile(join(tmp.path, "density.csv"), lines.join("\n") + "\n");
    const cfg = config({ allocation: "activation-formula", sparsity: 0.5 });
    cfg.activation = { ...cfg.activation, densityFrom: tmp.path };
    const pruned = await pruneModel(model, cfg, { run, quiet: true });
    const want = activationAllocation(counts, { sparsity: 0.5, alpha: 2, beta: 0.2 });
    assert.deepEqual(pruned.targets, want);
    assert(Math.abs(want.reduce((a, b) => a + b) / 5 - 0.5) < 1e-15, "mean of S_i is S");
    assert.deepEqual(pruned.allocationInputs, {
      kind: "activation-formula",
      counts,
      dataset: "piqa",
      gamma: "2e-6",
      file: join(tmp.path, "density.csv"),
      alpha: 2,
      beta: 0.2,
      std: "population",
    });
    for (const m of pruned.modules) {
      // Achieved = target within one weight per row: exactly ⌊C·s_i⌋ per row.
      assert.equal(m.pruned, Math.floor(m.cols * want[m.layer]) * m.rows, `layer ${m.layer} ${m.module}`);
      assert(Math.abs(m.pruned / (m.rows * m.cols) - want[m.layer]) <= 1 / m.cols);
    }
  },
);

Deno.test(
  "activation allocation computed now, and OWL: per-layer targets with mean S",
  needsMirror,
  async () => {
    const model = await loadModel(STORIES_HF);
    const cfg = config({ allocation: "activation-formula", sparsity: 0.5 });
    cfg.activation = { ...cfg.activation, samples: 4, maxLen: 32, gamma: parseGamma("q0.9") };
    const act = await pruneModel(model, cfg, { run, quiet: true });
    assert(act.allocationInputs.kind === "activation-formula");
    const counts = act.allocationInputs.counts;
    assert.equal(counts.length, 5);
    assert(counts.every((c) => Number.isInteger(c) && c > 0));
    assert.deepEqual(act.targets, activationAllocation(counts, { sparsity: 0.5 }));
    assert.equal(act.allocationInputs.split, "validation", "density samples from the calibration split");
    assert(act.datasets.length === 2, "calibration and density samples recorded");

    const owl = await pruneModel(model, config({ allocation: "owl", sparsity: 0.5 }), { run, quiet: true });
    assert(owl.allocationInputs.kind === "owl");
    const ratios = owl.allocationInputs.outlierRatios;
    assert.deepEqual(owl.targets, owlAllocation(ratios, { sparsity: 0.5, lambda: 0.08 }));
    assert(Math.abs(owl.targets.reduce((a, b) => a + b) / 5 - 0.5) < 1e-12);
    assert(Math.max(...owl.targets) - Math.min(...owl.targets) <= 0.16 + 1e-12, "spread at most 2λ");
    for (const m of owl.modules) assert.equal(m.pruned, Math.floor(m.cols * owl.targets[m.layer]) * m.rows);
  },
);

Deno.test("prune refuses what it cannot do", needsMirror, async () => {
  const bin = await loadModel(STORIES_BIN);
  await assert.rejects(
    () => pruneModel(bin, config(), { run, spillDir: "/tmp/never", save: true, quiet: true }),
    /Cannot save pruned model: .*llama2.c checkpoint/,
  );
  await assert.rejects(
    () => pruneModel(bin, config({ pattern: "2:4", allocation: "owl" }), { run, quiet: true }),
    /N:M patterns \(2:4\) take --allocation uniform only/,
  );
  await assert.rejects(
    () => pruneModel(bin, config({ sparsity: 0 }), { run, quiet: true }),
    /--sparsity must be in \(0, 1\)/,
  );
  await assert.rejects(
    () => pruneModel(bin, config({ pattern: "4:8" }), { run, quiet: true }),
    /Cannot prune: down_proj has 172 input columns, not a multiple of M = 8/,
  );
  // A llama2.c model prunes (in memory), it only cannot be saved as a Hugging Face checkpoint.
  const pruned = await pruneModel(bin, config({ pattern: "2:4" }), { run, quiet: true });
  assert(pruned.modules.every((m) => m.pruned * 2 === m.rows * m.cols));
  assert.equal(linearWeightName(0, "q_proj"), pruned.weights.replaced()[0]);
});

Deno.test("deno task prune writes the run directory and the checkpoint", needsMirror, async () => {
  await using tmp = await tempDir();
  const out = join(tmp.path, "run");
  const save = join(tmp.path, "model");
  const res = await runTask("prune.ts", [
    "--model",
    STORIES_HF,
    "--calibration",
    "piqa:validation",
    "--nsamples",
    "4",
    "--seq-len",
    "32",
    "--sparsity-type",
    "2:4",
    "--out",
    out,
    "--save",
    save,
  ]);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /achieved sparsity: 0\.500000/);
  const manifest = JSON.parse(await Deno.readTextFile(join(out, "manifest.json")));
  assert.equal(manifest.status, "ok");
  assert.equal(manifest.datasets[0].name, "piqa");
  assert.equal(manifest.datasets[0].examples.ids.length, 4);
  assert(manifest.config.measurements.sampledPeakRssBytes > 0);
  for (const f of ["sparsity.csv", "pruning.json"]) await Deno.stat(join(out, f));
  await Deno.stat(join(save, "model.safetensors.index.json"));
  const bad = await runTask("prune.ts", ["--model", STORIES_HF, "--method", "sparsegpt"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Cannot parse --method: "sparsegpt" is not one of wanda, magnitude/);
});

Deno.test("calibration window length: Wanda's model.seqlen, OWL's 2048 (never longer than those windows)", () => {
  const base = defaultPruneConfig();
  // Wanda: --seq-len, else max_position_embeddings (locuslab/wanda main.py model.seqlen).
  assert.equal(calibrationSeqLen(base, 4096), 4096);
  assert.equal(calibrationSeqLen({ ...base, seqLen: 1024 }, 4096), 1024);
  // OWL: main.py's model.seqlen = 2048 and get_loaders(..., seqlen=2048), for a 4096-token model too.
  const owl = { ...base, allocation: "owl" as const };
  assert.equal(OWL_SEQ_LEN, 2048);
  assert.equal(calibrationSeqLen(owl, 4096), 2048);
  assert.equal(calibrationSeqLen({ ...owl, seqLen: 4096 }, 4096), 2048);
  // A shorter configured or model length is kept; --owl-seq-len decides when given.
  assert.equal(calibrationSeqLen({ ...owl, seqLen: 128 }, 512), 128);
  assert.equal(calibrationSeqLen(owl, 512), 512);
  assert.equal(calibrationSeqLen({ ...owl, owl: { ...owl.owl, seqLen: 4096 } }, 4096), 4096);
});
