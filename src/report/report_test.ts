import assert from "node:assert/strict";
import { join } from "node:path";
import { fixtureManifest, fixtureTables, writeRunFixture } from "../../test/fixtures/run_fixture.ts";
import { markLabels } from "./_svg_marks.ts";
import { findChromium } from "./pdf.ts";
import { ink, readPdfPages } from "../../test/fixtures/pdf_pages.ts";
import { renderReport } from "./report.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

const FIGURE_SECTIONS = [
  "Figure 1 — Activated parameters per layer",
  "Similarity of activated parameters",
  "Dataset relevance",
  "Layerwise sparsity",
  "Table 2 — Cross-task calibration transfer",
  "Massive activations",
  "Massive activations in one prompt",
  "Attention on the massive-activation tokens",
];

Deno.test("report.pdf: title page, one page per section, every figure page carries a chart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "actpat_report_" });
  const tables = fixtureTables();
  delete tables["sts.csv"]; // a section without data, with the manifest's reason
  delete tables["massive_locations.csv"]; // a part of a section without data, no reason recorded
  await writeRunFixture(dir, tables, fixtureManifest({ sts: "no sentence-pair benchmark in the config" }));
  const out = await renderReport(dir, { renderedAt: new Date("2025-02-01T00:00:00Z") });

  assert.deepEqual(out.svgs.map((p) => p.slice(dir.length + 1)).sort(), [
    "figures/attention_mass.svg",
    "figures/figure1_density.svg",
    "figures/massive_activations.svg",
    "figures/massive_features.svg",
    "figures/relevance_heatmap.svg",
    "figures/similarity_boxplot.svg",
    "figures/sparsity_per_layer.svg",
    "figures/transfer_heatmap.svg",
  ]);
  // The SVG on disk carries the data: 20 density points (4 datasets × 5 layers), 35 transfer cells (7 × 5).
  const svg = (name: string) => Deno.readTextFile(join(dir, "figures", name));
  assert.equal(markLabels(await svg("figure1_density.svg"), "symbol").length, 20);
  assert.equal(markLabels(await svg("transfer_heatmap.svg"), "rect").length, 35);

  const pdfPages = await readPdfPages(out.pdf!);
  const pages = pdfPages.map((p) => p.text);
  assert.equal(pages.length, 12, "title page + 11 sections, each on its own page");
  const title = pages[0];
  assert.ok(pages[1].startsWith("Figure 1"), `the title page spills onto page 2: ${pages[1].slice(0, 80)}`);
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

  // Ink outside every text run at 40 dpi: what the charts draw beyond their labels. Measured on this
  // fixture: the smallest chart (one line on two axes) 828 pixels, a table page's header rules 293, the
  // not-run page 13 (its box's border). A figure page must exceed 500 and ten times the not-run page.
  const inks: number[] = [];
  for (const page of pdfPages) inks.push(ink(await page.render(40), { outsideText: true }));
  const control = inks[stsPage];
  for (const section of FIGURE_SECTIONS) {
    const i = pages.findIndex((p) => p.trimStart().startsWith(section));
    assert.ok(i > 0, `no page for ${section}`);
    assert.ok(
      inks[i] > Math.max(500, 10 * control),
      `${section}: page ${i + 1} ink outside text ${inks[i]}, control ${control}`,
    );
  }
});

Deno.test("report without manifest or CSVs: every section says not run, no figure is written", async () => {
  const dir = await Deno.makeTempDir({ prefix: "actpat_report_empty_" });
  const out = await renderReport(dir, { pdf: false });
  assert.deepEqual(out.svgs, []);
  assert.equal(out.pdf, undefined);
  assert.equal(out.notRun.length, 11);
  const html = await Deno.readTextFile(out.html);
  assert.ok(html.includes("manifest.json is absent: the run&#39;s provenance is unknown."));
  assert.equal(html.match(/<p class="not-run">Not run: /g)?.length, 11);
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

Deno.test("Chromium lookup: PUPPETEER_EXECUTABLE_PATH first, then the system's, else none (the bundled one)", () => {
  // Independent of this machine: the environment and the system paths are the test's own.
  const self = Deno.execPath();
  const missing = ["/nonexistent/chromium", "/nonexistent/chrome"];
  assert.throws(
    () => findChromium({ PUPPETEER_EXECUTABLE_PATH: "/nonexistent/chrome" }, [self]),
    { message: "Cannot render report.pdf: PUPPETEER_EXECUTABLE_PATH=/nonexistent/chrome is not a file" },
  );
  assert.deepEqual(findChromium({ PUPPETEER_EXECUTABLE_PATH: self }, missing), {
    path: self,
    from: "PUPPETEER_EXECUTABLE_PATH",
  });
  assert.deepEqual(findChromium({ PUPPETEER_EXECUTABLE_PATH: "" }, [...missing, self]), {
    path: self,
    from: "system",
  });
  assert.equal(findChromium({}, missing), null);
  // A directory of that name is not a browser.
  assert.equal(findChromium({}, [ROOT]), null);
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
    assert.equal(bad.code, 2);
    assert.match(new TextDecoder().decode(bad.stderr), pattern);
  }
});
