import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { readReproduceConfig } from "./config.ts";
import { planOf } from "./reproduce.ts";
import type { ReproducePlan } from "./plan.ts";

const PAPER_LLAMA2 = fileURLToPath(new URL("../../../paper/configs/llama2-7b.json", import.meta.url));

/** The plan of a config without fetching anything (as `--plan`). */
async function planFor(config: Awaited<ReturnType<typeof readReproduceConfig>>, configPath = "cfg.json") {
  return (await planOf({ config, configPath, load: { mirror: null, download: false } }, false)).plan;
}

function cell(plan: ReproducePlan, id: string) {
  const c = plan.cells.find((x) => x.id === id);
  assert.ok(c, `no cell ${id} in ${plan.cells.map((x) => x.id).join(", ")}`);
  return c;
}

Deno.test("plan of the default config: the stories260K stages, their cells, dependencies and settings", async () => {
  const plan = await planFor(await readReproduceConfig());
  assert.equal(plan.model.numLayers, 5);
  assert.deepEqual(plan.stages.map((s) => [s.name, s.status]), [
    ["density", "planned"],
    ["similarity", "planned"],
    ["relevance", "planned"],
    ["table1", "planned"],
    ["transfer", "planned"],
    ["sts", "planned"],
    ["massive", "planned"],
  ]);
  // stories260K has no list of the authors: no wanda-paper-lists row.
  assert.deepEqual(plan.cells.map((c) => c.id), [
    "density",
    "similarity",
    "relevance",
    "table1.dense",
    "table1.magnitude",
    "table1.wanda",
    "table1.wanda-activation",
    "table1.wanda-owl",
    "table1",
    "transfer.c4-train-first100",
    "transfer.boolq-validation-first200",
    "transfer.piqa-validation-first200",
    "transfer",
    "sts",
    "massive",
  ]);
  assert.deepEqual(cell(plan, "table1").dependsOn, [
    "table1.dense",
    "table1.magnitude",
    "table1.wanda",
    "table1.wanda-activation",
    "table1.wanda-owl",
  ]);
  assert.equal(cell(plan, "table1").role, "assembly");
  assert.equal(cell(plan, "table1").dir, "04-table1");
  assert.equal(cell(plan, "table1.wanda").dir, "cells/table1.wanda");
  for (const id of ["density", "similarity", "relevance", "sts", "massive"]) {
    assert.deepEqual(cell(plan, id).dependsOn, [], id);
    assert.equal(cell(plan, id).role, "stage");
  }
  // Every cell after its dependencies; no two cells share a folder or nest in one another.
  plan.cells.forEach((c, i) => {
    for (const d of c.dependsOn) {
      assert.ok(plan.cells.findIndex((x) => x.id === d) < i, `${d} before ${c.id}`);
    }
  });
  const dirs = plan.cells.map((c) => c.dir);
  for (const a of dirs) {
    for (const b of dirs) if (a !== b) assert.ok(!b.startsWith(`${a}/`), `${b} inside ${a}`);
  }
  assert.equal(new Set(dirs).size, dirs.length);
  assert.equal(new Set(plan.cells.map((c) => c.hash)).size, plan.cells.length);
  for (const c of plan.cells) assert.match(c.hash, /^[0-9a-f]{64}$/);

  // Resolved settings: γ, the uniform rows' per-layer sparsities, the calibration, the STS layers.
  const density = plan.stages[0].settings;
  assert.equal(density.gamma, "q0.99");
  assert.deepEqual(cell(plan, "table1.wanda").settings.layerSparsity, [0.5, 0.5, 0.5, 0.5, 0.5]);
  assert.equal(cell(plan, "table1.dense").settings.layerSparsity, "dense (0 everywhere)");
  assert.match(
    String(cell(plan, "table1.wanda-activation").settings.layerSparsity),
    /from this cell: α = 2, β = 0.2/,
  );
  const table1 = plan.stages.find((s) => s.name === "table1")!.settings;
  assert.deepEqual(table1.calibration, {
    dataset: "c4",
    split: "train-first100",
    nsamples: 16,
    seqLen: 128,
    draws: "Python random.seed(0) as wanda/lib/data.py",
  });
  assert.equal((table1.eval as { scoring: string }).scoring, "lm-eval");
  const sts = plan.stages.find((s) => s.name === "sts")!.settings;
  // 0.5-1.0 of 5 layers: floor(2.5) = 2 to ceil(5) - 1 = 4.
  assert.deepEqual(sts.ranges, [
    { spec: "0-4", layers: "0-4" },
    { spec: "2-4", layers: "2-4" },
    { spec: "3-4", layers: "3-4" },
    { spec: "0.5-1.0", layers: "2-4" },
  ]);
});

Deno.test("plan hashes: stable, and a setting changes the cells that read it only", async () => {
  const config = await readReproduceConfig();
  const a = await planFor(config);
  const b = await planFor(config);
  assert.deepEqual(a.cells.map((c) => c.hash), b.cells.map((c) => c.hash));
  const c = await planFor({ ...config, table1: { ...config.table1!, limit: 41 } });
  for (const x of a.cells) {
    const y = c.cells.find((z) => z.id === x.id)!;
    assert.equal(x.hash !== y.hash, x.stage === "table1", x.id);
  }
  // --only: the other stages are not planned at all.
  const only =
    (await planOf({ config, configPath: "cfg", only: ["sts"], load: { mirror: null } }, false)).plan;
  assert.deepEqual(only.cells.map((x) => x.id), ["sts"]);
  assert.equal(only.cells[0].hash, a.cells.find((x) => x.id === "sts")!.hash);
});

Deno.test("plan of the Llama-2-7B paper config: the authors' list, both γ, MMLU's auxiliary_train, 7 calibrations", async () => {
  const config = await readReproduceConfig(PAPER_LLAMA2);
  const plan = await planFor({ ...config, model: "/nonexistent/Llama-2-7b-hf" });
  assert.equal(plan.model.numLayers, null);
  assert.deepEqual(plan.stages.find((s) => s.name === "density")!.settings.gammas, [
    { gamma: "2e-6", source: "code" },
    { gamma: "2e-5", source: "text" },
  ]);
  // The six rows, with the authors' list for llama2-7b (lib/util/prune_ori.py): 32 layers, mean 0.5.
  const rows = plan.cells.filter((c) => c.stage === "table1" && c.role === "part").map((c) => c.id);
  assert.deepEqual(rows, [
    "table1.dense",
    "table1.magnitude",
    "table1.wanda",
    "table1.wanda-paper-lists",
    "table1.wanda-activation",
    "table1.wanda-owl",
  ]);
  const list = cell(plan, "table1.wanda-paper-lists").settings.layerSparsity as number[];
  assert.equal(list.length, 32);
  assert.deepEqual(list.slice(0, 3), [0.5698316177002389, 0.5366455371052089, 0.4801830903953581]);
  assert.ok(Math.abs(list.reduce((s, x) => s + x, 0) / 32 - 0.5) < 1e-9);
  assert.equal(cell(plan, "table1.wanda-paper-lists").settings.paperList, "llama2-7b");
  // Table 2: one cell per calibration set; MMLU calibrates on auxiliary_train (the paper's code).
  const transfer = plan.cells.filter((c) => c.stage === "transfer" && c.role === "part");
  assert.equal(transfer.length, 7);
  assert.deepEqual(
    cell(plan, "transfer.mmlu").settings.calibration as { split: string; nsamples: number; seqLen: number },
    {
      dataset: "mmlu",
      split: "auxiliary_train",
      nsamples: 128,
      seqLen: 4096,
      draws: "Python random.seed(0) as wanda/lib/data.py",
    },
  );
  assert.equal(plan.stages.find((s) => s.name === "transfer")!.settings.allocation, "paper-lists");
  // The authors' zero-shot protocol: MMLU 5-shot, the other tasks 0-shot, rows drawn when the cell runs.
  const evalOf = plan.stages.find((s) => s.name === "table1")!.settings.eval as {
    scoring: string;
    rows: string;
    tasks: { task: string; split: string; shots: number }[];
  };
  assert.equal(evalOf.scoring, "paper");
  assert.deepEqual(evalOf.tasks.find((t) => t.task === "mmlu"), {
    task: "mmlu",
    split: "validation",
    shots: 5,
  });
  assert.deepEqual(evalOf.tasks.find((t) => t.task === "boolq"), {
    task: "boolq",
    split: "validation",
    shots: 0,
  });
  assert.match(evalOf.rows, /^256 per task as eval_one_shot draws them/);
  // Without the model's config the STS ranges wait for its depth.
  const sts = plan.stages.find((s) => s.name === "sts")!.settings.ranges as {
    spec: string;
    layers: string;
  }[];
  assert.deepEqual(sts.map((r) => r.spec), ["12-29", "12-31", "16-29", "16-31", "20-29", "20-31"]);
  assert.match(sts[0].layers, /when the cell runs/);
});

Deno.test("plan sample ids: those the committed baseline's runs drew (their manifests), corpora when they run", async () => {
  const plan = await planFor(await readReproduceConfig());
  const baseline = (stage: string) =>
    new URL(`../../../results/baseline-stories260K/${stage}/manifest.json`, import.meta.url);
  const drawn = async (stage: string) => {
    const m = JSON.parse(await Deno.readTextFile(baseline(stage)));
    return new Map<string, number[]>(
      m.datasets.filter((d: { examples?: unknown }) => d.examples).map((
        d: { name: string; examples: { ids: number[] } },
      ) => [
        d.name,
        d.examples.ids,
      ]),
    );
  };
  const density = cell(plan, "density").settings.ids as Record<string, number[] | string>;
  const ran = await drawn("01-density");
  assert.deepEqual([...ran.keys()], ["boolq", "humaneval", "mmlu", "siqa", "hellaswag"]);
  for (const [name, ids] of ran) assert.deepEqual(density[name], ids, name);
  assert.match(String(density.c4), /drawn when the cell runs/);
  // Similarity draws each pair from a generator of its own; the manifest keeps each split's last draw.
  const pairs = cell(plan, "similarity").settings.ids as Record<string, (number[] | string)[]>;
  const sim = await drawn("02-similarity");
  assert.deepEqual(sim.get("mmlu"), pairs["mmlu:wikitext2"][0]);
  assert.deepEqual(sim.get("humaneval"), pairs["boolq:humaneval"][1]);
  assert.deepEqual(sim.get("siqa"), pairs["siqa:c4"][0]);
  assert.deepEqual(sim.get("boolq"), pairs["boolq:siqa"][0]);
  assert.match(String(pairs["siqa:c4"][1]), /drawn when the cell runs/);
  // STS: the pairs of sts_pairs.csv, in order.
  const rows = cell(plan, "sts").settings.rows as Record<string, { ids: number[] }>;
  const csv = (await Deno.readTextFile(
    new URL("../../../results/baseline-stories260K/06-sts/sts_pairs.csv", import.meta.url),
  ))
    .trim().split("\n").slice(1).map((l) => l.split(","));
  for (const b of ["stsb", "sick"]) {
    const ids = [...new Set(csv.filter((r) => r[0] === b).map((r) => Number(r[3])))];
    assert.deepEqual(rows[b].ids, ids, b);
  }
});
