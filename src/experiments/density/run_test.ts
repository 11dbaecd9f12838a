import assert from "node:assert/strict";
import { join } from "node:path";
import { MIRROR, needsMirror, STORIES_HF } from "../../../test/fixtures/mirror.ts";
import { tempDir } from "../../../test/fixtures/temp_dir.ts";
import { readManifest } from "../../results/manifest.ts";
import { parseGamma } from "./gamma.ts";
import { densityFromRun, type DensityRunOptions, runDensity } from "./run.ts";

function options(out: string, over: Partial<DensityRunOptions> = {}): DensityRunOptions {
  return {
    model: STORIES_HF,
    datasets: ["mmlu", "humaneval", "hellaswag"],
    samples: 3,
    maxLen: 64,
    shots: 0,
    gamma: parseGamma("2e-3"),
    seed: 1,
    batchSize: 2,
    engine: { ep: "cpu", threads: 1, dtype: "float32" },
    keepSumsBytes: 2 ** 26,
    out,
    quiet: true,
    load: { mirror: MIRROR, download: false },
    ...over,
  };
}

const read = (dir: string, file: string) => Deno.readTextFile(join(dir, file));

Deno.test(
  "density runs on stories260K: identical seeds give identical files; --from on a bin edge equals a direct run",
  needsMirror,
  async () => {
    await using tmp = await tempDir();
    const a = join(tmp.path, "a"), b = join(tmp.path, "b");
    const resA = await runDensity(options(a));
    await runDensity(options(b, { layerGroup: 5 }));
    for (
      const f of [
        "density.csv",
        "density_histogram.csv",
        "density_sums/mmlu.layers0-4.f32",
        "density_sums/humaneval.layers0-4.f32",
      ]
    ) {
      assert.deepEqual(
        await Deno.readFile(join(a, f)),
        await Deno.readFile(join(b, f)),
        `${f} differs between reruns`,
      );
    }
    // hellaswag is not in the mirror: a skip, listed in the manifest with the data layer's reason.
    const manifest = await readManifest(join(a, "manifest.json"));
    const skipped = manifest.config.skipped as { dataset: string; reason: string }[];
    assert.deepEqual(skipped.map((s) => s.dataset), ["hellaswag"]);
    assert.match(
      skipped[0].reason,
      /Cannot load dataset "hellaswag": split "validation" is not in the mirror/,
    );
    assert.deepEqual(manifest.datasets.map((d) => [d.name, d.split, d.examples?.ids.length]), [[
      "mmlu",
      "validation",
      3,
    ], [
      "humaneval",
      "test",
      3,
    ]]);
    const m = manifest.measurements!;
    assert(typeof m.peakRssBytes === "number" && m.peakRssBytes > 0 && typeof m.wallSeconds === "number");
    // 5 layers × (7 modules + all) × 2 datasets; stories260K's layer has 45312 linear parameters.
    assert.equal(resA.rows.length, 80);
    assert(resA.rows.every((r) => r.exact === true && r.gamma === 2e-3));
    assert.equal(resA.rows.find((r) => r.module === "all")!.params, 45312);

    // Direct runs at another edge γ, with and without kept sums, against --from recomputations of run a.
    const c = join(tmp.path, "c"), d = join(tmp.path, "d");
    await runDensity(options(c, { gamma: parseGamma("5e-3") }));
    await runDensity(options(d, { keepSumsBytes: 0 }));
    assert.equal(await read(d, "density.csv"), await read(a, "density.csv"));
    await assert.rejects(Deno.stat(join(d, "density_sums.json")), Deno.errors.NotFound);
    for (const from of [a, d]) {
      const out = join(tmp.path, `from-${from === a ? "a" : "d"}`);
      await densityFromRun({ from, gamma: parseGamma("5e-3"), out, quiet: true });
      assert.equal(await read(out, "density.csv"), await read(c, "density.csv"), `--from ${from}`);
      assert.equal((await readManifest(join(out, "manifest.json"))).config.from, from);
    }
    // Quantile γ: exact with kept sums, so --from a equals the direct run; from histogram alone, an edge.
    const q = join(tmp.path, "q"), qa = join(tmp.path, "qa"), qd = join(tmp.path, "qd");
    await runDensity(options(q, { gamma: parseGamma("q0.95") }));
    await densityFromRun({ from: a, gamma: parseGamma("q0.95"), out: qa, quiet: true });
    assert.equal(await read(qa, "density.csv"), await read(q, "density.csv"));
    const fromHist = await densityFromRun({ from: d, gamma: parseGamma("q0.95"), out: qd, quiet: true });
    assert.match(fromHist.note, /histogram edge/);
    // γ inside a bin with the histogram only: estimates flagged inexact, with bounds.
    const inside = await densityFromRun({
      from: d,
      gamma: parseGamma("2.1e-3"),
      out: join(tmp.path, "in"),
      quiet: true,
    });
    assert(
      inside.rows.some((r) => r.exact === false && (r.active_low as number) < (r.active_high as number)),
    );
    await assert.rejects(
      densityFromRun({ from: a, gamma: parseGamma("1e-3"), out: a }),
      /must differ from --from/,
    );
    await assert.rejects(
      densityFromRun({ from: join(tmp.path, "none"), gamma: parseGamma("1e-3") }),
      /manifest\.json/,
    );
  },
);

Deno.test(
  "a truncated density_sums file: resume computes its stage again; --from names it; --from on an interrupted run says how to resume",
  needsMirror,
  async () => {
    await using tmp = await tempDir();
    const a = join(tmp.path, "a");
    const opts = options(a, { datasets: ["mmlu"], samples: 2 });
    await runDensity(opts);
    const sums = join(a, "density_sums/mmlu.layers0-4.f32");
    const whole = await Deno.readFile(sums);
    await Deno.truncate(sums, 1000);

    // --from reads the index's sizes first: a `Cannot read` naming the file, no RangeError.
    await assert.rejects(
      densityFromRun({ from: a, gamma: parseGamma("q0.5"), out: join(tmp.path, "from"), quiet: true }),
      (err: Error) => {
        assert.equal(err.name, "ActpatError");
        assert.match(
          err.message,
          new RegExp(
            `^Cannot read ${sums}: it holds 1000 bytes, but density_sums.json gives ${whole.length}`,
          ),
        );
        return true;
      },
    );

    // A resumed run checks the stored stage's file and computes it again: the same bytes as before.
    await runDensity(opts);
    assert.deepEqual(await Deno.readFile(sums), whole);
    const manifest = await readManifest(join(a, "manifest.json"));
    assert.deepEqual(manifest.stages.map((s) => [s.name, s.reused]), [["density.mmlu.layers0-4", false]]);
    // The model's context and the inputs beyond it are recorded (stories260K-hf: 512 positions).
    const context = manifest.config.context as { maxPositions: number; truncation: string; overLong: object };
    assert.equal(context.maxPositions, 512);
    assert.equal(context.truncation, "none");

    // --from on a run that did not finish: how to resume it.
    await Deno.writeTextFile(
      join(a, "manifest.json"),
      JSON.stringify({ ...manifest, status: "interrupted", argv: ["--model", "m", "--out", a] }),
    );
    await assert.rejects(
      densityFromRun({ from: a, gamma: parseGamma("q0.5"), out: join(tmp.path, "from2"), quiet: true }),
      new RegExp(
        `Cannot recompute density from ${a}: its density run is interrupted, not finished; resume it first with\\n` +
          `  deno task density --model m --out ${a}$`,
      ),
    );
  },
);

Deno.test(
  "density gammas: density_gammas.csv counts each γ with its source, equal to direct runs at that γ",
  needsMirror,
  async () => {
    await using tmp = await tempDir();
    const gammas = [
      { gamma: parseGamma("2e-6"), source: "code" },
      { gamma: parseGamma("2e-5"), source: "text" },
    ];
    const withList = join(tmp.path, "list");
    await runDensity(options(withList, { datasets: ["mmlu"], keepSumsBytes: 0, gammas }));
    const rows = (await read(withList, "density_gammas.csv")).trim().split("\n").slice(1);
    const header = (await read(withList, "density_gammas.csv")).split("\n")[0].split(",");
    const col = (r: string, c: string) => r.split(",")[header.indexOf(c)];
    assert.equal(rows.length, 2 * 5, "5 layers × 2 γ");
    for (const { gamma, source } of gammas) {
      // Independent: a plain run at that γ counts exactly during accumulation (density.csv, layer totals).
      const direct = join(tmp.path, gamma.text);
      await runDensity(options(direct, { datasets: ["mmlu"], keepSumsBytes: 0, gamma }));
      const lines = (await read(direct, "density.csv")).trim().split("\n");
      const dh = lines[0].split(",");
      const totals = lines.slice(1).map((l) => l.split(",")).filter((f) => f[dh.indexOf("module")] === "all");
      const mine = rows.filter((r) => col(r, "gamma_spec") === gamma.text);
      assert.deepEqual(mine.map((r) => col(r, "source")), new Array(5).fill(source));
      assert.deepEqual(mine.map((r) => col(r, "exact")), new Array(5).fill("true"), "γ on a histogram edge");
      assert.deepEqual(mine.map((r) => col(r, "active")), totals.map((f) => f[dh.indexOf("active")]));
    }
  },
);
