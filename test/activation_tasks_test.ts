import assert from "node:assert/strict";
import { join } from "node:path";
import { MIRROR, STORIES_HF } from "./fixtures/mirror.ts";
import { exitCodeFor, runTask } from "./fixtures/run_task.ts";
import { tempDir } from "./fixtures/temp_dir.ts";
import { readCsv } from "../src/results/csv.ts";
import { DENSITY_COLUMNS } from "../src/experiments/density/mod.ts";
import {
  RELEVANCE_COLUMNS,
  SIMILARITY_COLUMNS,
  SIMILARITY_SUMMARY_COLUMNS,
} from "../src/experiments/similarity/mod.ts";

const ENV = { ACTPAT_MIRROR: MIRROR };

Deno.test("bad flags of density, similarity and relevance fail with a message naming the flag", async () => {
  const cases: [string, string[], RegExp][] = [
    ["density.ts", ["--model", STORIES_HF, "--datasets", "mmlu"], /--gamma is required/],
    [
      "density.ts",
      ["--model", STORIES_HF, "--datasets", "mmlu", "--gamma", "q2"],
      /Cannot parse --gamma: "q2"/,
    ],
    ["density.ts", ["--datasets", "mmlu", "--gamma", "2e-6"], /--model is required/],
    ["density.ts", ["--model", STORIES_HF, "--gamma", "2e-6"], /--datasets is required/],
    [
      "density.ts",
      ["--model", STORIES_HF, "--datasets", "mmlu", "--gamma", "1", "--samples", "0"],
      /Cannot parse --samples: "0"/,
    ],
    [
      "density.ts",
      ["--model", STORIES_HF, "--datasets", "mmlu", "--gamma", "1", "--layer-group", "x"],
      /--layer-group/,
    ],
    [
      "density.ts",
      ["--model", STORIES_HF, "--datasets", "mmlu", "--gamma", "1", "--split", "mmlu"],
      /--split: "mmlu"/,
    ],
    [
      "density.ts",
      ["--model", STORIES_HF, "--datasets", "mmlu", "--gamma", "1", "--dtype", "int8"],
      /--dtype/,
    ],
    [
      "density.ts",
      ["--from", "/nonexistent", "--gamma", "1", "--model", STORIES_HF],
      /--from .* takes no --model/,
    ],
    [
      "density.ts",
      ["--model", STORIES_HF, "--datasets", "mmlu", "--gamma", "1", "--bogus"],
      /Unknown option '--bogus'/,
    ],
    ["similarity.ts", ["--model", STORIES_HF, "--pairs", "boolq"], /Cannot parse --pairs: "boolq"/],
    ["similarity.ts", ["--model", STORIES_HF], /--pairs is required/],
    ["similarity.ts", ["--model", STORIES_HF, "--pairs", "a:b", "--batch-size", "-1"], /--batch-size/],
    ["relevance.ts", ["--model", STORIES_HF, "--datasets", "mmlu,mmlu"], /listed twice/],
    [
      "relevance.ts",
      ["--model", STORIES_HF, "--datasets", "mmlu", "--layers", "3-9", "--out", "/tmp/x"],
      /--layers: "3-9"/,
    ],
    ["density.ts", ["--model", STORIES_HF, "--datasets", "nosuch", "--gamma", "1", "--quiet"], /nosuch/],
    ["density.ts", ["--model", STORIES_HF, "--datasets", "stsb", "--gamma", "1", "--quiet"], /sentence-pair/],
  ];
  await using tmp = await tempDir();
  for (const [task, args, message] of cases) {
    // Runs that get past flag parsing write under --out: keep them in the temporary directory.
    const full = args.includes("--out") ? args.map((a) => a === "/tmp/x" ? join(tmp.path, "x") : a) : [
      ...args,
      "--out",
      join(tmp.path, `${task}-${Math.random()}`),
    ];
    const { code, stderr } = await runTask(task, full, ENV);
    assert.equal(code, exitCodeFor(stderr), `${task} ${args.join(" ")}: exit ${code}\n${stderr}`);
    assert.match(stderr, /^error: Cannot /m, `${task} ${args.join(" ")}`);
    assert.match(stderr, message, `${task} ${args.join(" ")}: ${stderr}`);
  }
});

Deno.test("the tasks end to end: density reruns are byte-identical; similarity pairs; relevance pools the deep layers", async () => {
  await using tmp = await tempDir();
  const common = ["--model", STORIES_HF, "--samples", "2", "--seed", "3", "--threads", "1", "--quiet"];
  const density = (out: string, extra: string[] = []) =>
    runTask("density.ts", [
      ...common,
      "--datasets",
      "mmlu,humaneval",
      "--gamma",
      "5e-3",
      "--out",
      out,
      ...extra,
    ], ENV);
  const d1 = await density(join(tmp.path, "d1"));
  assert.equal(d1.code, 0, d1.stderr);
  assert.equal(d1.stdout.trim(), join(tmp.path, "d1"));
  const d2 = await density(join(tmp.path, "d2"), ["--layer-group", "2", "--batch-size", "2"]);
  assert.equal(d2.code, 0, d2.stderr);
  const d3 = await density(join(tmp.path, "d3"));
  assert.equal(d3.code, 0, d3.stderr);
  assert.equal(
    await Deno.readTextFile(join(tmp.path, "d3", "density.csv")),
    await Deno.readTextFile(join(tmp.path, "d1", "density.csv")),
  );
  // Layer groups (separate graphs) and another batch size change float32 rounding only: fractions within 1e-3.
  const [r1, r2] = await Promise.all(
    ["d1", "d2"].map((d) => readCsv(join(tmp.path, d, "density.csv"), DENSITY_COLUMNS)),
  );
  assert.equal(r1.length, r2.length);
  r1.forEach((r, i) =>
    assert(Math.abs((r.fraction as number) - (r2[i].fraction as number)) <= 1e-3, `row ${i}`)
  );
  const stages = [...Deno.readDirSync(join(tmp.path, "d2", "stages"))].map((e) => e.name).sort();
  assert.deepEqual(stages.filter((s) => s.startsWith("density.mmlu")), [
    "density.mmlu.layers0-1.json",
    "density.mmlu.layers2-3.json",
    "density.mmlu.layers4.json",
  ]);

  const s = await runTask("similarity.ts", [
    ...common,
    "--pairs",
    "mmlu:mmlu,mmlu:humaneval",
    "--out",
    join(tmp.path, "s"),
  ], ENV);
  assert.equal(s.code, 0, s.stderr);
  const sim = await readCsv(join(tmp.path, "s", "similarity.csv"), SIMILARITY_COLUMNS);
  assert.equal(sim.length, 2 * 2 * 5);
  const ids = (
    a: string,
    b: string,
    col: string,
  ) => [...new Set(sim.filter((r) => r.dataset_a === a && r.dataset_b === b).map((r) => r[col]))];
  // a:a pairs: 2N distinct examples, pair i = (i, N + i); the first N are the ones mmlu:humaneval uses.
  const left = ids("mmlu", "mmlu", "example_a"), right = ids("mmlu", "mmlu", "example_b");
  assert.equal(new Set([...left, ...right]).size, 4);
  assert.deepEqual(ids("mmlu", "humaneval", "example_a"), left);
  const summary = await readCsv(join(tmp.path, "s", "similarity_summary.csv"), SIMILARITY_SUMMARY_COLUMNS);
  assert.equal(summary.length, 2 * 5);
  assert(summary.every((r) => r.n === 2));

  const r = await runTask("relevance.ts", [
    ...common,
    "--datasets",
    "mmlu,humaneval",
    "--out",
    join(tmp.path, "r"),
  ], ENV);
  assert.equal(r.code, 0, r.stderr);
  const rel = await readCsv(join(tmp.path, "r", "relevance.csv"), RELEVANCE_COLUMNS);
  const rsim = await readCsv(join(tmp.path, "r", "similarity.csv"), SIMILARITY_COLUMNS);
  // stories260K has 5 layers: the paper's range(5 // 2, 5 - 2) is layer 2 alone.
  assert.deepEqual(rel.map((x) => [x.dataset_a, x.dataset_b, x.layers, x.n]), [
    ["mmlu", "mmlu", "2", 2],
    ["mmlu", "humaneval", "2", 2],
    ["humaneval", "mmlu", "2", 2],
    ["humaneval", "humaneval", "2", 2],
  ]);
  for (const row of rel) {
    const [a, b] = [row.dataset_a, row.dataset_b].sort((x, y) => (x === "mmlu" ? -1 : y === "mmlu" ? 1 : 0));
    const vals = rsim.filter((x) => x.dataset_a === a && x.dataset_b === b && x.layer === 2).map((x) =>
      x.similarity as number
    );
    assert(Math.abs((row.mean_similarity as number) - (vals[0] + vals[1]) / 2) < 1e-15);
  }
});
