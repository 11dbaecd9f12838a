import assert from "node:assert/strict";
import { join } from "node:path";
import { fixtureManifest, fixtureTables, writeRunFixture } from "../../test/fixtures/run_fixture.ts";
import { exitCodeFor } from "../../test/fixtures/run_task.ts";
import { markLabels } from "./_svg_marks.ts";
import { findChromium } from "./pdf.ts";
import { renderReport } from "./report.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, `${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  return text;
}

/** A binary PGM (P5, maxval 255) as written by `pdftoppm -gray`. */
function readPgm(bytes: Uint8Array): { width: number; height: number; pixels: Uint8Array } {
  let pos = 0;
  const token = () => {
    while (/\s/.test(String.fromCharCode(bytes[pos]))) pos++;
    const start = pos;
    while (!/\s/.test(String.fromCharCode(bytes[pos]))) pos++;
    return new TextDecoder().decode(bytes.subarray(start, pos));
  };
  assert.equal(token(), "P5");
  const width = Number(token());
  const height = Number(token());
  assert.equal(token(), "255");
  pos++; // the single whitespace byte after maxval
  const pixels = bytes.subarray(pos, pos + width * height);
  assert.equal(pixels.length, width * height);
  return { width, height, pixels };
}

/**
 * Pixels darker than mid grey (< 200 of 255): text, axes and chart marks, not the page, grid lines or the pale
 * fill of a "not run" box. At 40 dpi an A4 page has 331 × 468 pixels; a heading with one line of text inks
 * about 400 of them, the fixture's charts 1,600 to 5,400.
 */
function ink(pixels: Uint8Array): number {
  let n = 0;
  for (const p of pixels) if (p < 200) n++;
  return n;
}

const FIGURE_SECTIONS = [
  "Figure 1 — Activated parameters per layer",
  "Similarity of activated parameters",
  "Dataset relevance",
  "Layerwise sparsity",
  "Table 2 — Cross-task calibration transfer",
  "Massive activations",
];

Deno.test("report.pdf: title page, one page per section, every figure page carries a chart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "actpat_report_" });
  const tables = fixtureTables();
  delete tables["sts.csv"]; // a section without data, with the manifest's reason
  delete tables["massive_locations.csv"]; // a part of a section without data, no reason recorded
  await writeRunFixture(dir, tables, fixtureManifest({ sts: "no sentence-pair benchmark in the config" }));
  const out = await renderReport(dir, { renderedAt: new Date("2025-02-01T00:00:00Z") });

  assert.deepEqual(out.svgs.map((p) => p.slice(dir.length + 1)).sort(), [
    "figures/figure1_density.svg",
    "figures/massive_activations.svg",
    "figures/relevance_heatmap.svg",
    "figures/similarity_boxplot.svg",
    "figures/sparsity_per_layer.svg",
    "figures/transfer_heatmap.svg",
  ]);
  // The SVG on disk carries the data: 20 density points (4 datasets × 5 layers), 35 transfer cells (7 × 5).
  const svg = (name: string) => Deno.readTextFile(join(dir, "figures", name));
  assert.equal(markLabels(await svg("figure1_density.svg"), "symbol").length, 20);
  assert.equal(markLabels(await svg("transfer_heatmap.svg"), "rect").length, 35);

  const pages = (await run("pdftotext", ["-layout", out.pdf!, "-"])).split("\f").filter((p) =>
    p.trim() !== ""
  );
  assert.equal(pages.length, 10, "title page + 9 sections, each on its own page");
  const title = pages[0];
  for (
    const fact of [
      "karpathy/tinyllamas/stories260K",
      "a".repeat(64),
      "b".repeat(64),
      "onnxruntime 1.30.0",
      "cpu",
      "2025-01-15T10:00:00Z",
      "deno task reproduce --config paper/configs/default.json",
      "2025-02-01T00:00:00.000Z",
      "not run: no sentence-pair benchmark in the config",
    ]
  ) assert.ok(title.includes(fact), `title page lacks ${fact}`);
  assert.ok(!title.includes("manifest.json does not follow"), "the fixture manifest follows the schema");
  const stsPage = pages.findIndex((p) => p.includes("Table 3") && p.includes("Not run"));
  assert.ok(stsPage > 0, "the STS section says it was not run");
  assert.ok(pages[stsPage].includes("Not run: no sentence-pair benchmark in the config"));
  const massivePage = pages.find((p) =>
    p.includes("Massive activations per layer") || p.startsWith("Massive")
  )!;
  assert.ok(
    pages.some((p) => p.includes("Not run (massive_locations.csv): massive_locations.csv is absent")),
    massivePage,
  );

  const prefix = join(dir, "page");
  await run("pdftoppm", ["-r", "40", "-gray", out.pdf!, prefix]);
  const files = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".pgm")).sort();
  assert.equal(files.length, pages.length);
  const inks = files.map((f) => ink(readPgm(Deno.readFileSync(join(dir, f))).pixels));
  // Control: the not-run page holds a heading and one line; a figure page must hold clearly more ink
  // (1.5×): a page whose chart is blank keeps only its heading and caption, which measured 645 < 1000.
  const control = inks[stsPage];
  for (const section of FIGURE_SECTIONS) {
    const i = pages.findIndex((p) => p.trimStart().startsWith(section));
    assert.ok(i > 0, `no page for ${section}`);
    assert.ok(
      inks[i] > Math.max(1000, 1.5 * control),
      `${section}: page ${i + 1} ink ${inks[i]}, control ${control}`,
    );
  }
});

Deno.test("report without manifest or CSVs: every section says not run, no figure is written", async () => {
  const dir = await Deno.makeTempDir({ prefix: "actpat_report_empty_" });
  const out = await renderReport(dir, { pdf: false });
  assert.deepEqual(out.svgs, []);
  assert.equal(out.pdf, undefined);
  assert.equal(out.notRun.length, 9);
  const html = await Deno.readTextFile(out.html);
  assert.ok(html.includes("manifest.json is absent: the run&#39;s provenance is unknown."));
  assert.equal(html.match(/<p class="not-run">Not run: /g)?.length, 9);
  assert.ok(html.includes("Not run: density.csv is absent and manifest.json records no reason"));
});

Deno.test("a CSV the figure cannot use is reported and shown raw, not dropped", async () => {
  const dir = await Deno.makeTempDir({ prefix: "actpat_report_bad_" });
  const tables = fixtureTables();
  const massive = tables["massive.csv"];
  massive.header = massive.header.map((h) => h === "top2" ? "second" : h);
  await writeRunFixture(dir, { "massive.csv": massive });
  const out = await renderReport(dir, { pdf: false });
  const html = await Deno.readTextFile(out.html);
  assert.ok(html.includes("Cannot draw massive activations: massive.csv has no column top2"));
  assert.ok(html.includes("<th>second</th>"));
});

Deno.test("Chromium lookup: PUPPETEER_EXECUTABLE_PATH first, then /usr/bin/chromium, else how to install", () => {
  assert.throws(
    () => findChromium("/nonexistent/chrome"),
    /Cannot render report\.pdf: PUPPETEER_EXECUTABLE_PATH=\/nonexistent\/chrome is not a file/,
  );
  assert.throws(
    () => findChromium(undefined, "/nonexistent/chromium"),
    {
      message:
        "Cannot render report.pdf: no Chromium found (set PUPPETEER_EXECUTABLE_PATH or apt-get install chromium)",
    },
  );
  const self = Deno.execPath();
  assert.equal(findChromium(self), self);
});

Deno.test("deno task figures: --no-pdf writes the SVGs; bad arguments say what is wrong", async () => {
  const dir = await Deno.makeTempDir({ prefix: "actpat_figures_task_" });
  await writeRunFixture(dir, { "relevance.csv": fixtureTables()["relevance.csv"] });
  const task = (args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", join(ROOT, "tasks/figures.ts"), ...args],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
  const ok = await task([dir, "--no-pdf"]);
  assert.equal(ok.code, 0, new TextDecoder().decode(ok.stderr));
  const stdout = new TextDecoder().decode(ok.stdout);
  assert.ok(stdout.includes(join(dir, "figures", "relevance_heatmap.svg")));
  assert.ok(stdout.includes("not run: Figure 1 — Activated parameters per layer: density.csv is absent"));
  for (
    const [args, pattern] of [
      [[], /Cannot render figures: expected one RUN_DIR, got 0 arguments/],
      [[join(dir, "nope")], /Cannot render figures: run directory .*nope/],
    ] as const
  ) {
    const bad = await task([...args]);
    const stderr = new TextDecoder().decode(bad.stderr);
    assert.equal(bad.code, exitCodeFor(stderr));
    assert.match(stderr, pattern);
  }
});
