import assert from "node:assert/strict";
import { join } from "node:path";
import { needsMirror, STORIES_BIN } from "../../../test/fixtures/mirror.ts";
import { tempDir } from "../../../test/fixtures/temp_dir.ts";
import { loadModel } from "../../model/load_model.ts";
import { readCsv } from "../../results/csv.ts";
import { defaultEvalConfig, evaluateModel } from "../eval/mod.ts";
import { defaultPruneConfig, pruneModel } from "../prune/mod.ts";
import { runTable1, TABLE1_SCHEMA, VARIANT_SPARSITY_SCHEMA } from "./table1.ts";

Deno.test(
  "table1 on stories260K: five variants × tasks, each row as pruning and evaluating it alone; resumes",
  needsMirror,
  async () => {
    await using tmp = await tempDir();
    const prune = defaultPruneConfig({
      calibration: { dataset: "piqa", split: "validation" },
      nsamples: 4,
      seqLen: 32,
      activation: { ...defaultPruneConfig().activation, samples: 4, maxLen: 32 },
    });
    const evalConfig = defaultEvalConfig({ tasks: ["piqa", "hellaswag"], limit: 4 });
    const options = {
      model: STORIES_BIN,
      prune,
      eval: evalConfig,
      engine: { ep: "cpu", dtype: "float32" } as const,
      out: join(tmp.path, "run"),
      load: { download: false },
      quiet: true,
    };
    const { dir, rows } = await runTable1(options);
    assert.deepEqual(await readCsv(join(dir, "table1.csv"), TABLE1_SCHEMA), rows);
    const variants = [...new Set(rows.map((r) => `${r.method}/${r.allocation}`))];
    assert.deepEqual(variants, [
      "dense/none",
      "magnitude/uniform",
      "wanda/uniform",
      "wanda/activation-formula",
      "wanda/owl",
    ]);
    assert.equal(rows.length, 5 * 2, "piqa acc and acc_norm per variant; hellaswag skipped");
    assert(rows.every((r) => r.task === "piqa" && r.n === 4));
    assert.deepEqual(rows.map((r) => r.sparsity), [0, 0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);

    // A variant's row is what pruning and evaluating that variant on its own gives.
    const model = await loadModel(STORIES_BIN);
    const pruned = await pruneModel(model, { ...prune, allocation: "owl" }, { run: {}, quiet: true });
    const alone = await evaluateModel(
      { config: model.config, weights: pruned.weights, tokenizer: model.tokenizer },
      STORIES_BIN,
      evalConfig,
      { quiet: true },
    );
    const owl = rows.filter((r) => r.allocation === "owl");
    assert.deepEqual(owl.map((r) => r.value), alone.rows.map((r) => r.value));

    const sparsity = await readCsv(join(dir, "sparsity.csv"), VARIANT_SPARSITY_SCHEMA);
    assert.equal(sparsity.length, 4 * 5 * 7, "four pruned variants × 5 layers × 7 linears");
    const manifest = JSON.parse(await Deno.readTextFile(join(dir, "manifest.json")));
    const owlTargets =
      manifest.config.variants.find((v: { variant: string }) => v.variant === "wanda-owl").targets;
    assert.deepEqual(owlTargets, pruned.targets);
    assert.deepEqual(manifest.config.variants[0].skipped.map((s: { task: string }) => s.task), ["hellaswag"]);
    assert(
      !(await Deno.stat(join(dir, "models")).then(() => true, () => false)) ||
        [...Deno.readDirSync(join(dir, "models"))].length === 0,
      "pruned checkpoints removed",
    );

    // Run again in the same directory: every stage is reused and the table is the same.
    const again = await runTable1(options);
    assert.deepEqual(again.rows, rows);
    const m2 = JSON.parse(await Deno.readTextFile(join(dir, "manifest.json")));
    assert(m2.stages.every((s: { reused: boolean }) => s.reused));
  },
);
