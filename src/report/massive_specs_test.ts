import assert from "node:assert/strict";
import { fixtureTables } from "../../test/fixtures/run_fixture.ts";
import { markGroups, markLabels } from "./_svg_marks.ts";
import { attentionMassFigure, featuresFigure } from "./massive_specs.ts";
import type { RunTable } from "./run_data.ts";
import { renderSvg } from "./svg.ts";

function runTable(path: string): RunTable {
  const t = fixtureTables()[path];
  return {
    path,
    header: t.header,
    rows: t.rows.map((r) => Object.fromEntries(t.header.map((h, i) => [h, r[i]]))),
  };
}

Deno.test("signature figure: one line per token over every dimension, massive dims labelled, tokens starred", async () => {
  const svg = await renderSvg(featuresFigure(runTable("massive_features.csv")).spec);
  const lines = markGroups(svg).filter((g) => g.type === "line");
  assert.equal(lines.length, 4, "one panel (line) per token");
  // The labels are the massive entries' dimensions, nothing else.
  const texts = markLabels(svg, "text");
  assert.deepEqual(texts.map((l) => /dimension: (\d+)/.exec(l)?.[1]).sort(), ["12", "37"]);
  for (const token of ["0: Summer ★", "1:  is", "2:  warm", "3: . ★"]) assert.ok(svg.includes(token), token);
  assert.ok(svg.includes("Layer 1 output"));
});

Deno.test("signature figure without massive entries labels the three largest", async () => {
  const t = runTable("massive_features.csv");
  const rows = t.rows.map((r) => ({ ...r, massive: "false" }));
  const svg = await renderSvg(featuresFigure({ ...t, rows }).spec);
  assert.equal(markLabels(svg, "text").length, 2, "the fixture marks two entries `top`");
  assert.ok(!svg.includes("★"));
  assert.throws(
    () => featuresFigure({ ...t, header: ["layer"] }),
    /Cannot draw the residual stream of one prompt: massive_features\.csv has no column/,
  );
});

Deno.test("attention mass: one cell per layer × head, colour scale 0..1", async () => {
  const t = runTable("attention_mass.csv");
  const figure = attentionMassFigure(t);
  const svg = await renderSvg(figure.spec);
  assert.equal(markLabels(svg, "rect").length, t.rows.length);
  assert.ok(svg.includes("mass on massive-activation tokens"));
  assert.throws(() => attentionMassFigure({ ...t, rows: [] }), /attention_mass\.csv has no rows/);
});
