/**
 * Vega-Lite specs of the two massive-activation analyses beyond the per-layer statistics: the paper's
 * signature figure (one prompt's residual stream over tokens × feature dimensions, `massive_features.csv`;
 * the reference draws it as a 3-D wireframe, `lib/plot_utils_llm.py` `plot_3d_feat`, here one panel per token
 * stacked like the wireframe's token lines) and the attention concentration (`attention_mass.csv`, a layer ×
 * head heat map).
 */
import type { TopLevelSpec } from "vega-lite";
import { ActpatError } from "../util/errors.ts";
import { toNumber } from "./_format.ts";
import type { RunTable } from "./run_data.ts";
import type { Figure } from "./specs.ts";

const WIDTH = 560;
const CONFIG = { font: "Helvetica, Arial, sans-serif", view: { stroke: null } } as const;

function require(table: RunTable, file: string, figure: string, columns: string[]): void {
  const missing = columns.filter((c) => !table.header.includes(c));
  if (missing.length > 0) {
    throw new ActpatError(
      `draw ${figure}`,
      `${file} has no column ${missing.join(", ")} (has ${table.header.join(", ")})`,
    );
  }
}

function num(text: string, file: string, column: string, figure: string): number {
  const v = toNumber(text);
  if (!Number.isFinite(v)) throw new ActpatError(`draw ${figure}`, `${file}: ${column} holds a non-number`);
  return v;
}

/** The token's JSON-string label as text ("\"Summer\"" → Summer; <bos> stays). */
function tokenText(label: string): string {
  try {
    const v = JSON.parse(label);
    return typeof v === "string" ? v.replaceAll("\n", "\\n") : label;
  } catch {
    return label;
  }
}

/**
 * The signature figure: |activation| over feature dimensions, one panel per token (top to bottom in prompt
 * order), massive entries labelled with their dimension and their tokens starred; a prompt without massive
 * entries gets its three largest labelled instead.
 */
export function featuresFigure(table: RunTable): Figure {
  const file = "massive_features.csv";
  const figure = "the residual stream of one prompt";
  require(table, file, figure, ["layer", "position", "token", "dimension", "magnitude", "massive", "top"]);
  if (table.rows.length === 0) throw new ActpatError(`draw ${figure}`, `${file} has no rows`);
  const anyMassive = table.rows.some((r) => r.massive === "true");
  const massiveTokens = new Set(table.rows.filter((r) => r.massive === "true").map((r) => r.position));
  const label = (r: Record<string, string>) =>
    `${r.position}: ${tokenText(r.token)}${massiveTokens.has(r.position) ? " ★" : ""}`;
  const values = table.rows.map((r) => ({
    token: label(r),
    position: num(r.position, file, "position", figure),
    dimension: num(r.dimension, file, "dimension", figure),
    magnitude: num(r.magnitude, file, "magnitude", figure),
    labelled: anyMassive ? r.massive === "true" : r.top === "true",
  }));
  const tokens = [...new Map(values.map((v) => [v.position, v.token])).entries()].sort((a, b) => a[0] - b[0]);
  const dims = Math.max(...values.map((v) => v.dimension)) + 1;
  const layer = table.rows[0].layer;
  const spec: TopLevelSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    config: { ...CONFIG, facet: { spacing: 4 } },
    title: `Layer ${layer} output: |activation| per token over ${dims} feature dimensions`,
    data: { values },
    facet: {
      row: {
        field: "token",
        type: "ordinal",
        sort: tokens.map((t) => t[1]),
        title: null,
        header: { labelAngle: 0, labelAlign: "left", labelFontSize: 11 },
      },
    },
    spec: {
      width: WIDTH,
      height: Math.max(24, Math.min(60, Math.floor(480 / tokens.length))),
      layer: [
        {
          mark: { type: "line", strokeWidth: 1, interpolate: "linear" },
          encoding: {
            x: {
              field: "dimension",
              type: "quantitative",
              title: "feature dimension",
              scale: { domain: [0, dims - 1] },
            },
            y: { field: "magnitude", type: "quantitative", title: "|activation|", axis: { tickCount: 2 } },
          },
        },
        {
          transform: [{ filter: "datum.labelled" }],
          mark: {
            type: "text",
            dy: -2,
            baseline: "bottom",
            fontSize: 10,
            fontWeight: "bold",
            color: "firebrick",
          },
          encoding: {
            x: { field: "dimension", type: "quantitative" },
            y: { field: "magnitude", type: "quantitative" },
            text: { field: "dimension", type: "quantitative", format: "d" },
          },
        },
      ],
    },
    resolve: { scale: { y: "shared" } },
  };
  return { name: "massive_features.svg", title: "Residual stream of one prompt", spec };
}

/** Attention concentration: per layer (rows) and head (columns), the attention mass on the token set. */
export function attentionMassFigure(table: RunTable): Figure {
  const file = "attention_mass.csv";
  const figure = "attention on massive-activation tokens";
  require(table, file, figure, ["layer", "head", "mass"]);
  if (table.rows.length === 0) throw new ActpatError(`draw ${figure}`, `${file} has no rows`);
  const values = table.rows.map((r) => ({
    layer: num(r.layer, file, "layer", figure),
    head: num(r.head, file, "head", figure),
    mass: num(r.mass, file, "mass", figure),
  }));
  const heads = new Set(values.map((v) => v.head)).size;
  const layers = new Set(values.map((v) => v.layer)).size;
  const set = table.rows[0].token_set === "largest"
    ? "the token of the largest activation"
    : "massive-activation tokens";
  return {
    name: "attention_mass.svg",
    title: "Attention on massive-activation tokens",
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      config: CONFIG,
      width: { step: Math.max(6, Math.min(40, Math.floor(WIDTH / heads))) },
      height: { step: Math.max(6, Math.min(30, Math.floor(420 / layers))) },
      data: { values },
      mark: "rect",
      encoding: {
        x: { field: "head", type: "ordinal", title: "head", axis: { labelAngle: 0, labelOverlap: true } },
        y: { field: "layer", type: "ordinal", title: "layer", axis: { labelOverlap: true } },
        color: {
          field: "mass",
          type: "quantitative",
          title: `mass on ${set}`,
          scale: { scheme: "blues", domain: [0, 1] },
        },
      },
    },
  };
}
