/**
 * Vega-Lite specs of the paper's figures, built from the run's CSV rows (columns as the experiment issues
 * #4–#7 define them). Each builder throws an ActpatError naming the file and column when the data cannot make
 * its figure, so the report can say why and show the raw rows instead.
 */
import type { TopLevelSpec } from "vega-lite";
import { ActpatError } from "../util/errors.ts";
import { toNumber } from "./_format.ts";
import type { Row, RunTable } from "./run_data.ts";

/** A figure: its SVG file name under figures/, title, and spec. */
export interface Figure {
  name: string;
  title: string;
  spec: TopLevelSpec;
}

const WIDTH = 560;
const CONFIG = { font: "Helvetica, Arial, sans-serif", view: { stroke: null } } as const;

/** Module values that mark a per-layer total row in density.csv (as opposed to one linear weight). */
const TOTAL_MODULES = new Set(["", "all", "total", "layer", "*"]);

function requireColumns(table: RunTable, file: string, figure: string, columns: string[]): void {
  const missing = columns.filter((c) => !table.header.includes(c));
  if (missing.length > 0) {
    throw new ActpatError(
      `draw ${figure}`,
      `${file} has no column ${missing.join(", ")} (has ${table.header.join(", ")})`,
    );
  }
}

function distinct(rows: Row[], column: string): string[] {
  return [...new Set(rows.map((r) => r[column]))];
}

function finite(value: number, file: string, column: string, figure: string): number {
  if (!Number.isFinite(value)) {
    throw new ActpatError(`draw ${figure}`, `${file}: ${column} holds a non-number`);
  }
  return value;
}

/**
 * Figure 1: activated parameters per layer, one line per dataset. Uses density.csv's per-layer total rows where
 * present, else sums the modules of each layer.
 */
export function densityFigure(table: RunTable): Figure {
  const figure = "figure 1";
  requireColumns(table, "density.csv", figure, ["dataset", "layer", "active"]);
  const hasModule = table.header.includes("module");
  const totals = hasModule ? table.rows.filter((r) => TOTAL_MODULES.has(r.module)) : table.rows;
  const source = totals.length > 0 ? totals : table.rows;
  const gammas = table.header.includes("gamma") ? distinct(source, "gamma") : [];
  const sums = new Map<string, { series: string; layer: number; active: number }>();
  for (const r of source) {
    const series = gammas.length > 1 ? `${r.dataset} (γ=${r.gamma})` : r.dataset;
    const layer = finite(toNumber(r.layer), "density.csv", "layer", figure);
    const key = `${series}|${layer}`;
    const entry = sums.get(key) ?? { series, layer, active: 0 };
    entry.active += finite(toNumber(r.active), "density.csv", "active", figure);
    sums.set(key, entry);
  }
  return {
    name: "figure1_density.svg",
    title: "Activated parameters per layer",
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      config: CONFIG,
      width: WIDTH,
      height: 320,
      data: { values: [...sums.values()] },
      mark: { type: "line", point: true },
      encoding: {
        x: { field: "layer", type: "quantitative", title: "layer", axis: { tickMinStep: 1, format: "d" } },
        y: { field: "active", type: "quantitative", title: "activated parameters" },
        color: { field: "series", type: "nominal", title: "dataset" },
      },
    },
  };
}

/**
 * Figure 1 at every γ of the run's `gammas` list (density_gammas.csv): one line per dataset and γ, labelled
 * with the γ's source (the paper's code or its text), so the two thresholds are seen side by side.
 */
export function densityGammasFigure(table: RunTable): Figure {
  const figure = "figure 1 at the paper's γ";
  requireColumns(table, "density_gammas.csv", figure, ["dataset", "layer", "active", "gamma", "source"]);
  const values = table.rows.map((r) => ({
    series: `${r.dataset} (γ=${r.gamma}, ${r.source})`,
    gamma: `γ = ${r.gamma} (${r.source})`,
    layer: finite(toNumber(r.layer), "density_gammas.csv", "layer", figure),
    active: finite(toNumber(r.active), "density_gammas.csv", "active", figure),
  }));
  return {
    name: "figure1_density_gammas.svg",
    title: "Activated parameters per layer at the paper's γ (code and text)",
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      config: CONFIG,
      data: { values },
      facet: { field: "gamma", type: "nominal", title: null },
      columns: 1,
      spec: {
        width: WIDTH,
        height: 220,
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "layer", type: "quantitative", title: "layer", axis: { tickMinStep: 1, format: "d" } },
          y: { field: "active", type: "quantitative", title: "activated parameters" },
          color: { field: "series", type: "nominal", title: "dataset (γ, source)" },
        },
      },
    },
  };
}

/** Similarity of activated parameters per layer, boxplots of same-domain and cross-domain sample pairs. */
export function similarityFigure(table: RunTable): Figure {
  const figure = "similarity boxplots";
  requireColumns(table, "similarity.csv", figure, ["dataset_a", "dataset_b", "layer", "similarity"]);
  const values = table.rows.map((r) => ({
    layer: finite(toNumber(r.layer), "similarity.csv", "layer", figure),
    similarity: finite(toNumber(r.similarity), "similarity.csv", "similarity", figure),
    domain: r.dataset_a === r.dataset_b ? "same domain" : "cross domain",
  }));
  return {
    name: "similarity_boxplot.svg",
    title: "Similarity of activated parameters per layer",
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      config: CONFIG,
      width: WIDTH,
      height: 320,
      data: { values },
      mark: { type: "boxplot", extent: 1.5, size: 12 },
      encoding: {
        x: { field: "layer", type: "ordinal", title: "layer", axis: { labelAngle: 0 } },
        xOffset: { field: "domain", type: "nominal", sort: ["same domain", "cross domain"] },
        y: { field: "similarity", type: "quantitative", title: "similarity", scale: { zero: false } },
        color: { field: "domain", type: "nominal", title: "pairs", sort: ["same domain", "cross domain"] },
      },
    },
  };
}

/** Fallback when only similarity_summary.csv exists: mean similarity per layer, one line per dataset pair. */
export function similaritySummaryFigure(table: RunTable): Figure {
  const figure = "similarity summary";
  requireColumns(table, "similarity_summary.csv", figure, ["dataset_a", "dataset_b", "layer", "mean"]);
  const values = table.rows.map((r) => ({
    pair: `${r.dataset_a} : ${r.dataset_b}`,
    layer: finite(toNumber(r.layer), "similarity_summary.csv", "layer", figure),
    mean: finite(toNumber(r.mean), "similarity_summary.csv", "mean", figure),
  }));
  return {
    name: "similarity_summary.svg",
    title: "Mean similarity per layer",
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      config: CONFIG,
      width: WIDTH,
      height: 320,
      data: { values },
      mark: { type: "line", point: true },
      encoding: {
        x: { field: "layer", type: "quantitative", axis: { tickMinStep: 1, format: "d" } },
        y: { field: "mean", type: "quantitative", title: "mean similarity", scale: { zero: false } },
        color: { field: "pair", type: "nominal", title: "datasets" },
      },
    },
  };
}

/** A cell of a matrix figure. */
export interface Cell {
  row: string;
  col: string;
  value: number;
}

const LONG_VALUE_COLUMNS = ["mean_similarity", "relevance", "similarity", "value", "mean", "acc", "score"];

/**
 * The cells of a matrix CSV, long (`rowKey`, `colKey`, value column) or wide (`rowKey` then one numeric
 * column per matrix column). In the long layout, `metric` (if present) picks `preferMetric` or the first one.
 */
export function matrixCells(
  table: RunTable,
  file: string,
  keys: { row: string[]; col: string },
  preferMetric?: string,
): { cells: Cell[]; rowKey: string; metric?: string; valueColumn: string } {
  const figure = `${file} matrix`;
  const rowKey = keys.row.find((k) => table.header.includes(k));
  if (!rowKey) {
    throw new ActpatError(`draw ${figure}`, `${file} has none of the columns ${keys.row.join(", ")}`);
  }
  if (table.header.includes(keys.col)) {
    const valueColumn = LONG_VALUE_COLUMNS.find((c) => table.header.includes(c));
    if (!valueColumn) {
      throw new ActpatError(
        `draw ${figure}`,
        `${file} has no value column (one of ${LONG_VALUE_COLUMNS.join(", ")})`,
      );
    }
    let rows = table.rows;
    let metric: string | undefined;
    if (table.header.includes("metric")) {
      const metrics = distinct(rows, "metric");
      metric = preferMetric && metrics.includes(preferMetric) ? preferMetric : metrics[0];
      rows = rows.filter((r) => r.metric === metric);
    }
    const cells = rows.map((r) => ({
      row: r[rowKey],
      col: r[keys.col],
      value: finite(toNumber(r[valueColumn]), file, valueColumn, figure),
    }));
    return { cells, rowKey, metric, valueColumn };
  }
  const columns = table.header.filter((h) => h !== rowKey && h !== "model");
  const cells = table.rows.flatMap((r) =>
    columns.map((c) => ({ row: r[rowKey], col: c, value: finite(toNumber(r[c]), file, c, figure) }))
  );
  return { cells, rowKey, valueColumn: "value" };
}

/** A heatmap of `cells` with the value printed in each cell. */
export function heatmapSpec(
  cells: Cell[],
  titles: { row: string; col: string; value: string },
): TopLevelSpec {
  const values = cells.map((c) => c.value);
  const mid = (Math.min(...values) + Math.max(...values)) / 2;
  const rows = [...new Set(cells.map((c) => c.row))];
  const cols = [...new Set(cells.map((c) => c.col))];
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    config: CONFIG,
    width: { step: Math.min(64, Math.floor(WIDTH / cols.length)) },
    height: { step: 30 },
    data: { values: cells },
    encoding: {
      x: { field: "col", type: "nominal", title: titles.col, sort: cols, axis: { labelAngle: -30 } },
      y: { field: "row", type: "nominal", title: titles.row, sort: rows },
    },
    layer: [
      {
        mark: "rect",
        encoding: {
          color: { field: "value", type: "quantitative", title: titles.value, scale: { scheme: "blues" } },
        },
      },
      {
        mark: { type: "text", fontSize: 10 },
        encoding: {
          text: { field: "value", type: "quantitative", format: ".3~g" },
          color: { condition: { test: `datum.value > ${mid}`, value: "white" }, value: "black" },
        },
      },
    ],
  };
}

/** Dataset-relevance heatmap: mean deep-layer similarity for each pair of datasets. */
export function relevanceFigure(table: RunTable): Figure {
  const { cells, valueColumn } = matrixCells(table, "relevance.csv", {
    row: ["dataset_a", "dataset"],
    col: "dataset_b",
  });
  return {
    name: "relevance_heatmap.svg",
    title: "Dataset relevance",
    spec: heatmapSpec(cells, { row: "dataset", col: "dataset", value: valueColumn }),
  };
}

/** Cross-task transfer heatmap: calibration set × evaluated task (accuracy where present). */
export function transferFigure(table: RunTable): Figure {
  const { cells, metric, valueColumn } = matrixCells(
    table,
    "transfer.csv",
    { row: ["calibration"], col: "task" },
    "acc",
  );
  return {
    name: "transfer_heatmap.svg",
    title: "Cross-task calibration transfer",
    spec: heatmapSpec(cells, { row: "calibration set", col: "task", value: metric ?? valueColumn }),
  };
}

const MASSIVE_STATS = ["top1", "top2", "top3", "median"];

/**
 * Massive activations: top-1/2/3 and median magnitude of the residual stream per layer, log scale. Zero
 * magnitudes have no place on a log axis and are left out (the massive.csv table keeps them).
 */
export function massiveFigure(table: RunTable): Figure {
  const figure = "massive activations";
  requireColumns(table, "massive.csv", figure, ["layer", ...MASSIVE_STATS]);
  const corpora = table.header.includes("corpus") ? distinct(table.rows, "corpus") : [];
  const values = table.rows.flatMap((r) =>
    MASSIVE_STATS.map((statistic) => ({
      layer: finite(toNumber(r.layer), "massive.csv", "layer", figure),
      statistic: corpora.length > 1 ? `${statistic} (${r.corpus})` : statistic,
      value: finite(toNumber(r[statistic]), "massive.csv", statistic, figure),
    }))
  ).filter((v) => v.value > 0);
  return {
    name: "massive_activations.svg",
    title: "Massive activations per layer",
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      config: CONFIG,
      width: WIDTH,
      height: 320,
      data: { values },
      mark: { type: "line", point: true },
      encoding: {
        x: { field: "layer", type: "quantitative", axis: { tickMinStep: 1, format: "d" } },
        y: { field: "value", type: "quantitative", title: "magnitude (log scale)", scale: { type: "log" } },
        color: {
          field: "statistic",
          type: "nominal",
          title: "statistic",
          sort: corpora.length > 1 ? undefined : MASSIVE_STATS,
        },
      },
    },
  };
}

/** Layerwise sparsity of the pruned model: target and achieved, mean over the layer's modules. */
export function sparsityFigure(table: RunTable): Figure {
  const figure = "sparsity per layer";
  requireColumns(table, "sparsity.csv", figure, ["layer", "target", "achieved"]);
  const groups = ["method", "allocation"].filter((c) => table.header.includes(c));
  const sums = new Map<string, { series: string; layer: number; sum: number; n: number }>();
  for (const r of table.rows) {
    const prefix = groups.map((g) => r[g]).join(" ");
    for (const kind of ["target", "achieved"]) {
      const series = prefix ? `${prefix} ${kind}` : kind;
      const layer = finite(toNumber(r.layer), "sparsity.csv", "layer", figure);
      const key = `${series}|${layer}`;
      const entry = sums.get(key) ?? { series, layer, sum: 0, n: 0 };
      entry.sum += finite(toNumber(r[kind]), "sparsity.csv", kind, figure);
      entry.n++;
      sums.set(key, entry);
    }
  }
  const values = [...sums.values()].map((e) => ({ series: e.series, layer: e.layer, sparsity: e.sum / e.n }));
  return {
    name: "sparsity_per_layer.svg",
    title: "Layerwise sparsity",
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      config: CONFIG,
      width: WIDTH,
      height: 260,
      data: { values },
      mark: { type: "line", point: true },
      encoding: {
        x: { field: "layer", type: "quantitative", axis: { tickMinStep: 1, format: "d" } },
        y: { field: "sparsity", type: "quantitative", title: "sparsity (mean over modules)" },
        color: { field: "series", type: "nominal", title: "" },
        strokeDash: { field: "series", type: "nominal", legend: null },
      },
    },
  };
}
