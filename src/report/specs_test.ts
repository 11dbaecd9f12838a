import assert from "node:assert/strict";
import { FIXTURE_DATASETS, FIXTURE_LAYERS, fixtureTables } from "../../test/fixtures/run_fixture.ts";
import type { Table } from "../results/compare.ts";
import { markGroups, markLabels, parseLabel } from "./_svg_marks.ts";
import type { RunTable } from "./run_data.ts";
import {
  densityFigure,
  massiveFigure,
  relevanceFigure,
  similarityFigure,
  sparsityFigure,
  transferFigure,
} from "./specs.ts";
import { renderSvg } from "./svg.ts";

function runTable(path: string, t: Table): RunTable {
  return {
    path,
    header: t.header,
    rows: t.rows.map((r) => Object.fromEntries(t.header.map((h, i) => [h, r[i]]))),
  };
}

const fixture = fixtureTables();
const table = (name: string) => runTable(name, fixture[name]);
const num = (s: string) => Number(s.replace(/,/g, ""));

Deno.test("figure 1: one line per dataset, one point per layer, each the sum of its layer's modules", async () => {
  const svg = await renderSvg(densityFigure(table("density.csv")).spec);
  const lines = markGroups(svg).filter((g) => g.type === "line");
  assert.equal(lines.length, FIXTURE_DATASETS.length);
  const points = markLabels(svg, "symbol").map(parseLabel);
  assert.equal(points.length, FIXTURE_DATASETS.length * FIXTURE_LAYERS);
  // Independent sum straight from the CSV rows.
  const t = fixture["density.csv"];
  const col = (name: string) => t.header.indexOf(name);
  for (const p of points) {
    const expected = t.rows.filter((r) => r[col("dataset")] === p.dataset && r[col("layer")] === p.layer)
      .reduce((s, r) => s + Number(r[col("active")]), 0);
    assert.equal(num(p["activated parameters"]), expected, JSON.stringify(p));
  }
});

Deno.test("figure 1: per-layer total rows (module=all) are used as written, not added to the modules", async () => {
  const t = structuredClone(fixture["density.csv"]);
  for (const d of FIXTURE_DATASETS) {
    for (let layer = 0; layer < FIXTURE_LAYERS; layer++) {
      t.rows.push(["m", d, String(layer), "all", "1", String(1000 + layer), "0", "2e-6", "8", "0"]);
    }
  }
  const svg = await renderSvg(densityFigure(runTable("density.csv", t)).spec);
  const points = markLabels(svg, "symbol").map(parseLabel);
  assert.equal(points.length, FIXTURE_DATASETS.length * FIXTURE_LAYERS);
  for (const p of points) assert.equal(num(p["activated parameters"]), 1000 + Number(p.layer));
});

Deno.test("similarity boxplots: one box per layer and domain, median of the pooled pairs", async () => {
  const svg = await renderSvg(similarityFigure(table("similarity.csv")).spec);
  const boxes = markGroups(svg).find((g) => g.type === "rect" && g.labels[0].includes("Median"))!;
  assert.equal(boxes.labels.length, FIXTURE_LAYERS * 2);
  const t = fixture["similarity.csv"];
  const col = (name: string) => t.header.indexOf(name);
  for (const label of boxes.labels.map(parseLabel)) {
    const values = t.rows.filter((r) =>
      r[col("layer")] === label.layer &&
      (r[col("dataset_a")] === r[col("dataset_b")]) === (label.domain === "same domain")
    ).map((r) => Number(r[col("similarity")])).sort((a, b) => a - b);
    // 12 pooled values (2 dataset pairs × 6 samples): the median is the mean of the middle two.
    assert.equal(values.length, 12);
    const median = (values[5] + values[6]) / 2;
    assert.ok(
      Math.abs(num(label["Median of similarity"]) - median) < 1e-6,
      `${label["Median of similarity"]} vs ${median}`,
    );
    assert.equal(num(label["Min of similarity"]), values[0]);
    assert.equal(num(label["Max of similarity"]), values[11]);
  }
});

Deno.test("relevance heatmap: one cell per dataset pair, long and wide layouts give the same cells", async () => {
  const long = table("relevance.csv");
  const svgLong = await renderSvg(relevanceFigure(long).spec);
  const cells = markLabels(svgLong, "rect");
  assert.equal(cells.length, FIXTURE_DATASETS.length ** 2);
  assert.equal(markLabels(svgLong, "text").length, FIXTURE_DATASETS.length ** 2);
  const wide: RunTable = {
    path: "relevance.csv",
    header: ["dataset", ...FIXTURE_DATASETS],
    rows: FIXTURE_DATASETS.map((a) => ({
      dataset: a,
      ...Object.fromEntries(
        long.rows.filter((r) => r.dataset_a === a).map((r) => [r.dataset_b, r.relevance]),
      ),
    })),
  };
  const svgWide = await renderSvg(relevanceFigure(wide).spec);
  const values = (svg: string) =>
    markLabels(svg, "rect").map((l) => num(parseLabel(l).relevance ?? parseLabel(l).value));
  assert.deepEqual(values(svgWide), long.rows.map((r) => Number(r.relevance)));
  assert.deepEqual(values(svgLong), long.rows.map((r) => Number(r.relevance)));
});

Deno.test("transfer heatmap: calibration × task cells of the acc metric", async () => {
  const t = table("transfer.csv");
  // A second metric must not double the cells: the figure shows acc, the table all metrics.
  const withNorm = {
    ...t,
    rows: [...t.rows, ...t.rows.map((r) => ({ ...r, metric: "acc_norm", value: "0.9" }))],
  };
  const svg = await renderSvg(transferFigure(withNorm).spec);
  const cells = markLabels(svg, "rect").map(parseLabel);
  assert.equal(cells.length, t.rows.length);
  assert.deepEqual(cells.map((c) => num(c.acc)), t.rows.map((r) => Number(r.value)));
});

Deno.test("massive activations: four statistics per layer on a log axis, zeros left out", async () => {
  const t = structuredClone(fixture["massive.csv"]);
  t.rows[0][t.header.indexOf("median")] = "0";
  const svg = await renderSvg(massiveFigure(runTable("massive.csv", t)).spec);
  assert.equal(markGroups(svg).filter((g) => g.type === "line").length, 4);
  const points = markLabels(svg, "symbol").map(parseLabel);
  assert.equal(points.length, 4 * FIXTURE_LAYERS - 1);
  const top1 = points.filter((p) => p.statistic === "top1").map((p) => num(p["magnitude (log scale)"]));
  assert.deepEqual(top1, t.rows.map((r) => Number(r[t.header.indexOf("top1")])));
  assert.match(svg, /for a log scale/);
});

Deno.test("sparsity: target and achieved per layer, mean over modules", async () => {
  const svg = await renderSvg(sparsityFigure(table("sparsity.csv")).spec);
  const points = markLabels(svg, "symbol").map(parseLabel);
  assert.equal(points.length, 2 * FIXTURE_LAYERS);
  for (const p of points) {
    assert.ok(Math.abs(num(p["sparsity (mean over modules)"]) - (0.5 + 0.05 * (Number(p.layer) - 2))) < 1e-9);
  }
});

Deno.test("a figure whose CSV lacks a column names the file and the column", () => {
  const t = table("density.csv");
  const broken = { ...t, header: t.header.filter((h) => h !== "active") };
  assert.throws(() => densityFigure(broken), /Cannot draw figure 1: density\.csv has no column active/);
  const bad = { ...t, rows: [{ ...t.rows[0], active: "n/a" }] };
  assert.throws(() => densityFigure(bad), /Cannot draw figure 1: density\.csv: active holds a non-number/);
});
