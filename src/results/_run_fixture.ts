/**
 * Test support: a small but realistic run directory (stories260K-shaped: 5 layers, dim 64, hidden 172, GQA
 * 8/4 heads) with every CSV the experiment issues (#4–#7) define, in their documented columns. Values are
 * plausible and deterministic (seeded), not measured: they exercise compare and the report, nothing else.
 */
import { stringify } from "csv-stringify/sync";
import { join } from "node:path";
import type { Table } from "./_compare_rows.ts";

export const FIXTURE_LAYERS = 5;
export const FIXTURE_DATASETS = ["boolq", "humaneval", "siqa", "c4"] as const;
export const FIXTURE_MODULES: Readonly<Record<string, number>> = {
  q_proj: 64 * 64,
  k_proj: 64 * 32,
  v_proj: 64 * 32,
  o_proj: 64 * 64,
  gate_proj: 64 * 172,
  up_proj: 64 * 172,
  down_proj: 172 * 64,
};
export const FIXTURE_PAIRS = [["boolq", "boolq"], ["boolq", "humaneval"], ["siqa", "c4"], [
  "siqa",
  "siqa",
]] as const;
export const FIXTURE_PAIR_SAMPLES = 6;
export const FIXTURE_TASKS = ["boolq", "siqa", "piqa", "hellaswag", "mmlu"] as const;
export const FIXTURE_CALIBRATIONS = [
  "boolq",
  "siqa",
  "piqa",
  "hellaswag",
  "mmlu",
  "c4",
  "wikitext2",
] as const;
const MODEL = "karpathy/tinyllamas/stories260K";

/** mulberry32: a tiny seeded PRNG so fixture values are fixed without depending on src/data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function table(header: string[], rows: (string | number)[][]): Table {
  return { header, rows: rows.map((r) => r.map(String)) };
}

function round(x: number, digits = 6): number {
  return Number(x.toFixed(digits));
}

/** Every CSV of a complete run, by file name. */
export function fixtureTables(): Record<string, Table> {
  const rand = prng(7);
  const density: (string | number)[][] = [];
  const histogram: (string | number)[][] = [];
  FIXTURE_DATASETS.forEach((dataset, d) => {
    for (let layer = 0; layer < FIXTURE_LAYERS; layer++) {
      for (const [module, params] of Object.entries(FIXTURE_MODULES)) {
        // Deeper layers activate more parameters, code (humaneval) the most: the paper's Figure 1 shape.
        const fraction = 0.02 + 0.012 * layer + 0.01 * d + 0.004 * rand();
        const active = Math.round(params * fraction);
        density.push([MODEL, dataset, layer, module, params, active, round(active / params), 2e-6, 8, 0]);
      }
    }
    for (let layer = 0; layer < FIXTURE_LAYERS; layer++) {
      for (const [module, params] of Object.entries(FIXTURE_MODULES)) {
        // Four non-empty bins per linear, a decade apart, holding all its parameters.
        const counts = [0, 1, 2].map(() => Math.round((params / 4) * rand()));
        counts.push(params - counts.reduce((s, c) => s + c, 0));
        counts.forEach((count, k) => {
          const bin = 40 + 20 * k;
          histogram.push([dataset, layer, module, bin, 10 ** (k - 10), 10 ** (k - 9), count]);
        });
      }
    }
  });

  const similarity: (string | number)[][] = [];
  const byPairLayer = new Map<string, number[]>();
  for (const [a, b] of FIXTURE_PAIRS) {
    for (let pair = 0; pair < FIXTURE_PAIR_SAMPLES; pair++) {
      for (let layer = 0; layer < FIXTURE_LAYERS; layer++) {
        const base = a === b ? 0.55 + 0.06 * layer : 0.5 - 0.04 * layer;
        const s = round(Math.min(1, base + 0.08 * (rand() - 0.5)));
        similarity.push([MODEL, a, b, pair, `${a}-${pair}`, `${b}-${pair + 100}`, layer, s]);
        const k = `${a}|${b}|${layer}`;
        byPairLayer.set(k, [...(byPairLayer.get(k) ?? []), s]);
      }
    }
  }
  const summary = [...byPairLayer].map(([k, values]) => {
    const [a, b, layer] = k.split("|");
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
    const sorted = [...values].sort((x, y) => x - y);
    const median = (sorted[2] + sorted[3]) / 2;
    return [MODEL, a, b, layer, round(mean), round(std), round(median)];
  });

  const relevance: (string | number)[][] = [];
  FIXTURE_DATASETS.forEach((a, i) =>
    FIXTURE_DATASETS.forEach((b, j) => {
      relevance.push([MODEL, a, b, i === j ? 0.81 : round(0.35 + 0.1 * ((i * j + i + j) % 4))]);
    })
  );

  const methods = [["dense", "none", 0], ["magnitude", "uniform", 0.5], ["wanda", "uniform", 0.5], [
    "wanda",
    "activation",
    0.5,
  ], ["wanda", "owl", 0.5]] as const;
  const table1: (string | number)[][] = [];
  methods.forEach(([method, allocation, sparsity], m) => {
    table1.push([
      MODEL,
      method,
      allocation,
      sparsity,
      "wikitext2",
      "ppl",
      round(20 + 7 * m + rand(), 3),
      "",
      40,
    ]);
    FIXTURE_TASKS.forEach((task) => {
      table1.push([
        MODEL,
        method,
        allocation,
        sparsity,
        task,
        "acc",
        round(0.6 - 0.03 * m + 0.05 * rand(), 4),
        0.02,
        400,
      ]);
    });
  });

  const transfer: (string | number)[][] = [];
  for (const calibration of FIXTURE_CALIBRATIONS) {
    for (const task of FIXTURE_TASKS) {
      const own = calibration === task ? 0.05 : 0;
      transfer.push([MODEL, calibration, task, "acc", round(0.45 + own + 0.1 * rand(), 4), 0.02, 200]);
    }
  }

  const evalRows = [["wikitext2", "ppl", 24.31, ""], ["boolq", "acc", 0.6221, 0.0085], [
    "piqa",
    "acc_norm",
    0.5811,
    0.0115,
  ]]
    .map(([task, metric, value, stderr]) => [MODEL, task, metric, value, stderr, 400, "lm-eval", 0]);

  const sparsity: (string | number)[][] = [];
  for (let layer = 0; layer < FIXTURE_LAYERS; layer++) {
    const target = round(0.5 + 0.05 * (layer - 2));
    for (const module of Object.keys(FIXTURE_MODULES)) sparsity.push([layer, module, target, target]);
  }

  const sts: (string | number)[][] = [];
  for (const benchmark of ["stsb", "sick"]) {
    for (const method of ["activation", "hidden_mean", "hidden_last"]) {
      for (const layers of ["2-4", "0.5-1.0"]) {
        sts.push([
          MODEL,
          benchmark,
          "dev",
          layers,
          method,
          round(0.1 + 0.3 * rand(), 4),
          round(1e-3 * rand(), 6),
          64,
        ]);
      }
    }
  }
  const stsPairs: (string | number)[][] = [];
  for (let pair = 0; pair < 8; pair++) {
    for (let layer = 0; layer < FIXTURE_LAYERS; layer++) {
      stsPairs.push(["stsb", "dev", pair, round(5 * rand(), 2), layer, round(0.4 + 0.5 * rand())]);
    }
  }

  const massive: (string | number)[][] = [];
  for (let layer = 0; layer < FIXTURE_LAYERS; layer++) {
    // Massive activations appear from layer 2 on, as they do a few blocks into real Llama models.
    const top1 = layer >= 2 ? 900 + 100 * layer : 8 + layer;
    const median = 0.3 + 0.05 * layer;
    massive.push([MODEL, layer, top1, round(top1 * 0.7), round(top1 * 0.2), median, round(top1 / median, 3)]);
  }
  const locations = [2, 3, 4].map((layer) => [MODEL, layer, 0, 37, 0, "<s>", 900 + 100 * layer, 0.03]);
  const intervention = [["original", "wikitext2", 24.31], ["zero", "wikitext2", 1843.2], [
    "mean",
    "wikitext2",
    24.35,
  ]]
    .map((r) => [MODEL, ...r]);

  return {
    "density.csv": table(
      ["model", "dataset", "layer", "module", "params", "active", "fraction", "gamma", "samples", "seed"],
      density,
    ),
    "density_histogram.csv": table(
      ["dataset", "layer", "module", "bin", "lower", "upper", "count"],
      histogram,
    ),
    "similarity.csv": table(
      ["model", "dataset_a", "dataset_b", "pair", "example_a", "example_b", "layer", "similarity"],
      similarity,
    ),
    "similarity_summary.csv": table(
      ["model", "dataset_a", "dataset_b", "layer", "mean", "std", "median"],
      summary,
    ),
    "relevance.csv": table(["model", "dataset_a", "dataset_b", "relevance"], relevance),
    "table1.csv": table(
      ["model", "method", "allocation", "sparsity", "task", "metric", "value", "stderr", "n"],
      table1,
    ),
    "transfer.csv": table(["model", "calibration", "task", "metric", "value", "stderr", "n"], transfer),
    "eval.csv": table(["model", "task", "metric", "value", "stderr", "n", "scoring", "shots"], evalRows),
    "sparsity.csv": table(["layer", "module", "target", "achieved"], sparsity),
    "sts.csv": table(["model", "benchmark", "split", "layers", "method", "spearman", "p_value", "n"], sts),
    "sts_pairs.csv": table(["benchmark", "split", "pair", "gold", "layer", "similarity"], stsPairs),
    "massive.csv": table(["model", "layer", "top1", "top2", "top3", "median", "ratio"], massive),
    "massive_locations.csv": table(
      ["model", "layer", "rank", "dimension", "position", "token", "value", "cv"],
      locations,
    ),
    "intervention.csv": table(["model", "setting", "corpus", "ppl"], intervention),
  };
}

/**
 * A manifest that follows src/results/manifest.ts's schema (checked in the report tests). `skipped` lists
 * stages that did not run with their reason, under a `skipped` key the schema does not define yet (#8 asks
 * for skipped stages in the manifest; zod's object passes unknown keys through validation).
 */
export function fixtureManifest(skipped: Record<string, string> = {}): Record<string, unknown> {
  const digest = (c: string) => c.repeat(64);
  return {
    schemaVersion: 1,
    command: "reproduce",
    argv: ["--config", "paper/configs/default.json"],
    commandLine: "deno task reproduce --config paper/configs/default.json",
    config: { model: MODEL, samples: 8 },
    seed: 0,
    executionProvider: "cpu",
    model: {
      ref: MODEL,
      revision: "main",
      files: [{ path: "stories260K.bin", sha256: digest("a"), bytes: 1_070_000 }],
    },
    datasets: FIXTURE_DATASETS.map((name) => ({
      name,
      split: "dev",
      files: [{ path: `${name}/dev.jsonl`, sha256: digest("b"), bytes: 1000, from: "mirror" }],
    })),
    versions: { actpat: "0.1.0", deno: "2.9.6", v8: "14.0", typescript: "5.9", onnxruntime: "1.30.0" },
    host: { os: "linux", arch: "x86_64" },
    startedAt: "2025-01-15T10:00:00Z",
    resumedAt: [],
    endedAt: "2025-01-15T10:03:12Z",
    status: "ok",
    error: null,
    stages: [],
    outputs: [],
    skipped: Object.entries(skipped).map(([stage, reason]) => ({ stage, reason })),
  };
}

/** Writes `tables` and `manifest` into `dir` (created). */
export async function writeRunFixture(
  dir: string,
  tables: Record<string, Table> = fixtureTables(),
  manifest: Record<string, unknown> = fixtureManifest(),
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(join(dir, "manifest.json"), JSON.stringify(manifest, null, 2));
  for (const [name, t] of Object.entries(tables)) {
    await Deno.writeTextFile(join(dir, name), stringify([t.header, ...t.rows]));
  }
}
