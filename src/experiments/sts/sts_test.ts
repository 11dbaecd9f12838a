import assert from "node:assert/strict";
import { join } from "node:path";
import { openDataset } from "../../data/mod.ts";
import { loadModel } from "../../model/load_model.ts";
import { LINEAR_MODULES, linearWeightName } from "../../model/llama_config.ts";
import { LlamaRunner } from "../../model/llama/llama_runner.ts";
import { readCsv } from "../../results/csv.ts";
import { readManifest } from "../../results/manifest.ts";
import { referenceForward, weightsToFloat64 } from "../../../test/reference/llama_f64.ts";
import { mirrorPath } from "../../../test/reference/stories260k.ts";
import { needsMirror } from "../../../test/fixtures/mirror.ts";
import { cosine } from "./hidden_similarity.ts";
import { parseLayerRanges, parseLayerRangeSpecs, rangeLayers } from "../layer_ranges.ts";
import { spearman } from "../stats/spearman.ts";
import type { PairSimilarities } from "./pair_similarity.ts";
import {
  checkBenchmarks,
  rangeScore,
  resolveStsSplit,
  runSts,
  STS_PAIRS_SCHEMA,
  STS_SCHEMA,
  stsCorrelations,
} from "./sts.ts";

const ROOT = new URL("../../../", import.meta.url).pathname;
const MIRROR = mirrorPath("");

Deno.test("range scores and Spearman wiring: a score equal to the gold gives rho = 1", () => {
  const gold = [0.5, 3, 1.2, 4.8, 2.2, 2.2];
  const layers = [1, 2, 3, 4];
  const ranges = parseLayerRanges(["1-4", "3-4", "0.5-1.0"], 5);
  // activation: per-layer values summing to the gold over 1-4 and over 3-4 alike (layers 1, 2 contribute 0).
  // hidden_mean: every layer −gold, so the mean over any range is −gold. hidden_last: a fixed permutation.
  const other = [3, 1, 4, 1, 5, 9];
  const sims: PairSimilarities = {
    layers,
    activation: gold.map((g) => [0, 0, g / 2, g / 2]),
    hidden_mean: gold.map((g) => [-g, -g, -g, -g]),
    hidden_last: other.map((x, p) => [x, 0, p, 2 * x]),
  };
  assert.equal(rangeScore([1, 2, 3, 4], layers, ranges[0], "sum"), 10);
  assert.equal(rangeScore([1, 2, 3, 4], layers, ranges[1], "mean"), 3.5);
  assert.throws(
    () => rangeScore([1], [4], ranges[1], "sum"),
    /Cannot score layer range 3-4: layer 3 was not computed/,
  );
  const rows = stsCorrelations(sims, gold, ranges);
  assert.deepEqual(
    rows.map((r) => [r.method, r.range.label, r.reduction, r.n]),
    ["activation", "hidden_mean", "hidden_last"].flatMap((m) =>
      ["1-4", "3-4", "0.5-1.0"].map((l) => [m, l, m === "activation" ? "sum" : "mean", 6])
    ),
  );
  for (const r of rows.filter((r) => r.method === "activation")) {
    assert.equal(r.spearman, 1);
    assert.equal(r.pValue, 0);
  }
  for (const r of rows.filter((r) => r.method === "hidden_mean")) assert(Math.abs(r.spearman + 1) < 1e-12);
  // hidden_last over 3-4 is the mean of (p, 2·other[p]): checked against spearman on hand-made scores.
  const last34 = rows.find((r) => r.method === "hidden_last" && r.range.label === "3-4")!;
  const expected = spearman(other.map((x, p) => (p + 2 * x) / 2), gold);
  assert.equal(last34.spearman, expected.rho);
  assert.equal(last34.pValue, expected.pValue);
});

Deno.test("split aliases and benchmark checks", needsMirror, () => {
  for (const name of ["stsb", "sick"]) {
    const ds = openDataset(name);
    assert.equal(resolveStsSplit(ds, "dev"), "validation");
    assert.equal(resolveStsSplit(ds, "trial"), "validation");
    assert.equal(resolveStsSplit(ds, "train"), "train");
    assert.throws(
      () => resolveStsSplit(ds, "devv"),
      new RegExp(
        `Cannot find split "devv" of ${name}: known splits: train, validation, test, [\\w-]+ \\(aliases: dev`,
      ),
    );
  }
  checkBenchmarks(["stsb", "sick"]);
  assert.throws(
    () => checkBenchmarks(["boolq"]),
    /"boolq" is a multiple-choice dataset, not a sentence-pair one/,
  );
  assert.throws(() => checkBenchmarks(["stsbb"]), /stsb/);
  assert.throws(() => checkBenchmarks(["sick", "sick"]), /"sick" is listed twice/);
  assert.throws(() => checkBenchmarks([]), /no benchmark given \(choose from stsb, sick\)/);
});

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Gold score of row `id`, read straight from the publisher's file. */
function goldFromFile(text: string, benchmark: string, id: number): number {
  const lines = text.split("\n");
  return benchmark === "stsb" ? Number(lines[id].split("\t")[4]) : Number(lines[id + 1].split("\t")[3]);
}

Deno.test(
  "runSts on stories260K: CSVs equal a direct computation, manifest records ids and digests, resume reuses",
  needsMirror,
  async () => {
    const tmp = await Deno.makeTempDir({ prefix: "actpat_sts_" });
    try {
      const out = join(tmp, "run");
      const layerSpecs = ["0-4", "2-4", "0.5-1.0"];
      const opts = {
        model: "stories260K-hf",
        benchmarks: ["stsb", "sick"],
        split: "dev",
        samples: 5,
        seed: 7,
        layers: parseLayerRangeSpecs(layerSpecs),
        batchPairs: 2,
        engine: { ep: "cpu" as const, dtype: "float32" as const, threads: 1, cache: join(tmp, "graphs") },
        out,
        load: { mirror: MIRROR, download: false },
        modelLoad: { mirror: MIRROR },
        quiet: true,
      };
      const result = await runSts(opts);
      assert.equal(result.dir, out);
      const stsRows = await readCsv(join(out, "sts.csv"), STS_SCHEMA);
      const pairRows = await readCsv(join(out, "sts_pairs.csv"), STS_PAIRS_SCHEMA);
      const manifest = await readManifest(join(out, "manifest.json"));
      assert.equal(manifest.status, "ok");
      assert.equal(manifest.seed, 7);
      const weightsFile = mirrorPath("models/stories260K-hf/model.safetensors");
      assert.deepEqual(manifest.model?.files.map((f) => f.sha256), [await sha256(weightsFile)]);

      const model = await loadModel("stories260K-hf", { mirror: MIRROR });
      const f64 = await weightsToFloat64(model.weights);
      const runner = new LlamaRunner(model, { dtype: "float64", threads: 1, cache: join(tmp, "graphs") });
      const ranges = parseLayerRanges(layerSpecs, 5);
      try {
        for (const benchmark of ["stsb", "sick"]) {
          const record = manifest.datasets.find((d) => d.name === benchmark)!;
          assert.equal(record.split, "validation");
          assert.equal(record.examples?.seed, 7);
          const ids = record.examples!.ids;
          assert.equal(ids.length, 5);
          const file = record.files[0].path;
          assert.equal(record.files[0].sha256, await sha256(file));
          const text = await Deno.readTextFile(file);
          const rows = pairRows.filter((r) => r.benchmark === benchmark);
          assert.equal(rows.length, 5 * 5); // 5 pairs × layers 0-4
          const ds = openDataset(benchmark, { mirror: MIRROR, download: false });
          for (const [p, id] of ids.entries()) {
            const doc = (await ds.example("validation", id)).doc as Record<string, string>;
            const [sa, sb] = benchmark === "stsb"
              ? [doc.sentence1, doc.sentence2]
              : [doc.sentence_A, doc.sentence_B];
            const [a, b] = [sa, sb].map((s) => model.tokenizer.encode(s));
            assert.equal(a[0], 1, "each sentence is fed with BOS, as the paper's tokenizer(...) call does");
            // Activation: one pair per call, float64, per-layer sums written out here.
            const sim = (await runner.activationGradients([a, b], { density: false, similarity: true }))
              .similarity!;
            const [ha, hb] = [a, b].map((ids) => referenceForward(model.config, f64, ids).hidden);
            for (let l = 0; l < 5; l++) {
              const row = rows.find((r) => r.pair === p && r.layer === l)!;
              assert.equal(row.id, id);
              assert.equal(row.gold, goldFromFile(text, benchmark, id));
              let dot = 0, aa = 0, bb = 0;
              for (const m of LINEAR_MODULES) {
                const s = sim.get(linearWeightName(l, m))![0];
                dot += s.dot;
                aa += s.aa;
                bb += s.bb;
              }
              // The run is float32 (and batched, padded): stories260K's similarities agree with float64 to
              // ~1e-6 (float32 rounding through 5 layers and a backward pass; ≤1.2e-6 over 128 real pairs); 1e-5.
              const act = dot / Math.sqrt(aa * bb);
              assert(
                Math.abs((row.activation as number) - act) < 1e-5,
                `${benchmark} ${p} ${l}: ${row.activation} vs ${act}`,
              );
              const mean = (rows: Float64Array[]) => {
                const m = new Float64Array(64);
                for (let t = 1; t < rows.length; t++) rows[t].forEach((x, i) => m[i] += x);
                return m;
              };
              // Float32 hidden cosines: ≤5e-7 from float64 over 128 real pairs; 1e-5 as above.
              const meanCos = cosine(mean(ha[l + 1]), mean(hb[l + 1]));
              const lastCos = cosine(ha[l + 1][a.length - 1], hb[l + 1][b.length - 1]);
              assert(Math.abs((row.hidden_mean as number) - meanCos) < 1e-5, `${benchmark} ${p} ${l} mean`);
              assert(Math.abs((row.hidden_last as number) - lastCos) < 1e-5, `${benchmark} ${p} ${l} last`);
            }
          }
          // sts.csv from sts_pairs.csv: range sums (activation) / means (baselines), Spearman with the gold.
          const gold = ids.map((id) => goldFromFile(text, benchmark, id));
          for (const method of ["activation", "hidden_mean", "hidden_last"]) {
            for (const range of ranges) {
              const scores = ids.map((_, p) => {
                const vals = rangeLayers(range).map((l) =>
                  rows.find((r) => r.pair === p && r.layer === l)![method]
                );
                const sum = (vals as number[]).reduce((s, x) => s + x, 0);
                return method === "activation" ? sum : sum / vals.length;
              });
              const expected = spearman(scores, gold);
              const row = stsRows.find((r) =>
                r.benchmark === benchmark && r.method === method && r.layers === range.label
              )!;
              assert.equal(row.model, "stories260K-hf");
              assert.equal(row.split, "dev");
              assert.equal(row.n, 5);
              assert.deepEqual([row.layer_first, row.layer_last], [range.first, range.last]);
              assert(
                Math.abs((row.spearman as number) - expected.rho) < 1e-12,
                `${benchmark} ${method} ${range.label}`,
              );
              assert(Math.abs((row.p_value as number) - expected.pValue) < 1e-12);
            }
          }
        }
      } finally {
        await runner.release();
      }
      assert.equal(stsRows.length, 2 * 3 * 3);

      // Same flags, same directory: both stages are reused and the tables come out byte-identical.
      const before = await Deno.readTextFile(join(out, "sts.csv"));
      await runSts(opts);
      const again = await readManifest(join(out, "manifest.json"));
      assert.deepEqual(again.stages.map((s) => [s.name, s.reused]), [["pairs.stsb", true], [
        "pairs.sick",
        true,
      ]]);
      assert.equal(await Deno.readTextFile(join(out, "sts.csv")), before);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
);

async function runTask(args: string[], cwd: string): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", join(ROOT, "tasks/sts.ts"), ...args],
    cwd,
    env: { ACTPAT_MIRROR: MIRROR ?? "" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test(
  "deno task sts: bad flags exit 2 with a clear error and leave no run directory",
  needsMirror,
  async () => {
    const cwd = await Deno.makeTempDir({ prefix: "actpat_sts_cli_" });
    try {
      const model = ["--model", "stories260K-hf"];
      const cases: [string[], RegExp][] = [
        [[], /error: Cannot run sts: --model is required\nusage: deno task sts/],
        [
          [...model, "--layers", "0-40"],
          /Cannot parse --layers: "0-40" needs layer 40 but the model has 5 layers \(0-4\)/,
        ],
        [
          [...model, "--benchmarks", "boolq"],
          /Cannot parse --benchmarks: "boolq" is not one of stsb, sick/,
        ],
        [
          [...model, "--split", "tset"],
          /Cannot find split "tset" of stsb: known splits: train, validation, test/,
        ],
        [
          [...model, "--benchmarks", "sick", "--samples", "501"],
          /sample 501 examples of sick\/validation: the split has 500 rows/,
        ],
        [[...model, "--bogus"], /Cannot run sts: Unknown option '--bogus'/],
      ];
      const results = await Promise.all(cases.map(([args]) => runTask(args, cwd)));
      results.forEach(({ code, stderr }, i) => {
        assert.equal(code, 2, `${cases[i][0].join(" ")}: ${stderr}`);
        assert.match(stderr, cases[i][1]);
      });
      assert.deepEqual([...Deno.readDirSync(cwd)], [], "no results/ directory was created");
    } finally {
      await Deno.remove(cwd, { recursive: true });
    }
  },
);
