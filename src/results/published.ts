/**
 * The papers' published numbers (paper/published.json) beside a run's own: every number the paper states,
 * with its source (paper, table or figure, row, column) and where the same quantity sits in a run (CSV file,
 * value column, the row's key values, a scale such as 100 for percent). Not a regression gate: `compare
 * --published` prints the pairs, `reproduce` writes them to `published.csv` for the report.
 */
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { ActpatError } from "../util/errors.ts";
import { type CsvSchema, readCsvTable, tableRecords } from "./csv.ts";

/** Default location of the published numbers. */
export const DEFAULT_PUBLISHED_PATH = fileURLToPath(new URL("../../paper/published.json", import.meta.url));

const Value = z.object({
  paper: z.string(),
  table: z.string().describe("Table 1, Table 2, Table 3, Figure 6, or text"),
  model: z.string().nullable().describe("the paper's model (a key of the paper's models), null: all"),
  row: z.string(),
  column: z.string(),
  value: z.number(),
  source: z.string().describe("paper, table or figure, row and column, as printed"),
  match: z.object({
    file: z.string(),
    column: z.string(),
    scale: z.number().positive(),
    where: z.record(z.string(), z.string()),
  }).optional().describe("where a run holds the same quantity; absent for settings stated in the text"),
});

/** Schema of paper/published.json. */
export const Published = z.object({
  papers: z.record(
    z.string(),
    z.object({ citation: z.string(), models: z.record(z.string(), z.array(z.string())).optional() }).loose(),
  ),
  values: z.array(Value),
}).loose();
export type Published = z.infer<typeof Published>;

/** Reads and validates the published numbers. */
export async function loadPublished(path = DEFAULT_PUBLISHED_PATH): Promise<Published> {
  let raw: unknown;
  try {
    raw = JSON.parse(await Deno.readTextFile(path));
  } catch (err) {
    throw new ActpatError(`read ${path}`, (err as Error).message, { cause: err });
  }
  const parsed = Published.safeParse(raw);
  if (!parsed.success) {
    throw new ActpatError(`read ${path}`, z.prettifyError(parsed.error).replaceAll("\n", "; "));
  }
  return parsed.data;
}

/** The paper's model key for a model reference (by the paper's `models` lists), or null. */
export function publishedModel(published: Published, modelRef: string): string | null {
  const ref = modelRef.replace(/\/+$/, "").toLowerCase();
  for (const paper of Object.values(published.papers)) {
    for (const [key, refs] of Object.entries(paper.models ?? {})) {
      if (refs.some((r) => ref === r.toLowerCase() || ref.endsWith(`/${r.toLowerCase()}`))) return key;
    }
  }
  return null;
}

/** One published number and the run's own, side by side. */
export interface PublishedPair {
  table: string;
  row: string;
  column: string;
  published: number;
  /** The run's value on the paper's scale; null where the run has no such row. */
  reproduced: number | null;
  /** The run's CSV the value came from (relative to the run), or why there is none. */
  where: string;
  source: string;
}

/** Columns of `published.csv`. */
export const PUBLISHED_SCHEMA: CsvSchema = [
  { name: "table", type: "string", description: "the paper's table or figure" },
  { name: "row", type: "string", description: "row as printed" },
  { name: "column", type: "string", description: "column as printed" },
  { name: "published", type: "number", description: "the paper's number" },
  { name: "reproduced", type: "number", nullable: true, description: "this run's, on the paper's scale" },
  { name: "where", type: "string", description: "the run's CSV, or why it has no such value" },
  { name: "source", type: "string", description: "paper, table, row, column" },
];

/**
 * The published numbers of the run's model beside the run's own: for each value with a `match`, the first
 * row of the run's `match.file` (found anywhere under `runDir`) whose columns equal `match.where`, times
 * `match.scale`. Settings stated in the text (no `match`) are listed with `reproduced` null.
 */
export async function publishedBeside(
  runDir: string,
  modelRef: string,
  published: Published,
): Promise<PublishedPair[]> {
  const model = publishedModel(published, modelRef);
  if (model === null) return [];
  const files = await csvFiles(runDir);
  const cache = new Map<string, Record<string, string>[]>();
  const records = async (path: string) => {
    if (!cache.has(path)) cache.set(path, tableRecords(await readCsvTable(path)));
    return cache.get(path)!;
  };
  const out: PublishedPair[] = [];
  for (const v of published.values) {
    if (v.model !== null && v.model !== model) continue;
    const base = { table: v.table, row: v.row, column: v.column, published: v.value, source: v.source };
    if (!v.match) {
      out.push({ ...base, reproduced: null, where: "a setting stated in the text" });
      continue;
    }
    const m = v.match;
    const path = files.find((f) => f.endsWith(`/${m.file}`));
    if (!path) {
      out.push({ ...base, reproduced: null, where: `no ${m.file} in the run` });
      continue;
    }
    const row = (await records(path)).find((r) => Object.entries(m.where).every(([k, x]) => r[k] === x));
    const x = row ? Number(row[m.column]) : NaN;
    out.push({
      ...base,
      reproduced: row && row[m.column] !== "" && Number.isFinite(x) ? x * m.scale : null,
      where: row ? relative(runDir, path) : `no matching row in ${relative(runDir, path)}`,
    });
  }
  return out;
}

/** Every CSV under `dir` (depth-first, sorted), skipping compare output. */
async function csvFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    const entries = [];
    for await (const e of Deno.readDir(d)) entries.push(e);
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory && e.name !== "models" && e.name !== "figures") await walk(p);
      else if (e.isFile && e.name.endsWith(".csv") && e.name !== "compare.csv") out.push(p);
    }
  };
  await walk(dir);
  return out;
}

/** The pairs as aligned text lines (for `compare --published`). */
export function formatPublished(pairs: readonly PublishedPair[]): string {
  if (pairs.length === 0) return "published: no published numbers for this run's model";
  const fmt = (x: number | null) => x === null ? "-" : Number(x.toPrecision(4)).toString();
  const lines = pairs.map((p) => [`${p.table}`, p.row, p.column, fmt(p.published), fmt(p.reproduced)]);
  const head = ["table", "row", "column", "published", "reproduced"];
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [`published vs reproduced (paper/published.json; not a gate)`, line(head), ...lines.map(line)].join(
    "\n",
  );
}
