/** HTML tables of the report: the paper's tables pivoted from long-format CSVs, and raw CSV rows. */
import { escapeHtml, formatCell } from "./_format.ts";
import type { Row, RunTable } from "./run_data.ts";
import { RUN_COLUMNS } from "../results/compare.ts";

/** An HTML table of text cells; numbers are right-aligned. */
export function htmlTable(header: string[], rows: string[][], className = "data"): string {
  const numeric = (s: string) => s.trim() !== "" && !Number.isNaN(Number(s.split(" ")[0]));
  const head = header.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
  const body = rows.map((r) =>
    `<tr>${r.map((c) => `<td${numeric(c) ? ' class="num"' : ""}>${escapeHtml(c)}</td>`).join("")}</tr>`
  ).join("\n");
  return `<table class="${className}"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/**
 * The rows of a CSV as they are, numbers shortened, columns that name the run (e.g. `model`) left out, at
 * most `limit` rows (the rest counted below the table).
 */
export function rawTable(table: RunTable, limit = 40): string {
  const columns = table.header.filter((h) => !RUN_COLUMNS.includes(h));
  const rows = table.rows.slice(0, limit).map((r) => columns.map((c) => formatCell(r[c] ?? "")));
  const more = table.rows.length > limit
    ? `<p class="note">… ${table.rows.length - limit} more rows in ${escapeHtml(table.path)}</p>`
    : "";
  return htmlTable(columns, rows) + more;
}

function varying(rows: Row[], columns: string[], header: string[]): string[] {
  return columns.filter((c) => header.includes(c) && new Set(rows.map((r) => r[c])).size > 1);
}

/**
 * A pivot of long-format rows: one table row per distinct value of `rowKeys`, one column per distinct value of
 * `colKeys`, cells `value` (± `stderr` where the CSV has it). Order follows first appearance in the CSV.
 */
export function pivotTable(
  table: RunTable,
  keys: { rows: string[]; cols: string[]; value: string; stderr?: string; corner?: string },
): string {
  const label = (r: Row, cols: string[]) => cols.map((c) => r[c]).join(" ");
  const rowLabels = [...new Set(table.rows.map((r) => label(r, keys.rows)))];
  const colLabels = [...new Set(table.rows.map((r) => label(r, keys.cols)))];
  const cells = new Map<string, string>();
  for (const r of table.rows) {
    const err = keys.stderr && r[keys.stderr]?.trim() ? ` ± ${formatCell(r[keys.stderr])}` : "";
    cells.set(`${label(r, keys.rows)}\u0000${label(r, keys.cols)}`, formatCell(r[keys.value] ?? "") + err);
  }
  const rows = rowLabels.map((rl) => [rl, ...colLabels.map((cl) => cells.get(`${rl}\u0000${cl}`) ?? "—")]);
  return htmlTable([keys.corner ?? keys.rows.join(" / "), ...colLabels], rows);
}

function valueColumn(table: RunTable): string | undefined {
  return ["value", "acc", "ppl", "score"].find((c) => table.header.includes(c));
}

/**
 * Table 1: pruning methods (method, allocation, sparsity as they vary) × tasks (and metric). Falls back to the
 * raw rows when table1.csv is not in long layout (task + value columns).
 */
export function table1Html(table: RunTable): string {
  const value = valueColumn(table);
  if (!table.header.includes("task") || !value) return rawTable(table);
  const candidates = ["method", "allocation", "sparsity", "pattern"];
  const rowKeys = varying(table.rows, candidates, table.header);
  const rows = rowKeys.length > 0 ? rowKeys : candidates.filter((c) => table.header.includes(c)).slice(0, 1);
  const cols = table.header.includes("metric") ? ["task", "metric"] : ["task"];
  if (rows.length === 0) return rawTable(table);
  return pivotTable(table, {
    rows,
    cols,
    value,
    stderr: table.header.includes("stderr") ? "stderr" : undefined,
  });
}

/** The transfer matrix as a table: calibration set × task (and metric, when several). */
export function transferHtml(table: RunTable): string {
  const value = valueColumn(table);
  if (!table.header.includes("calibration") || !table.header.includes("task") || !value) {
    return rawTable(table);
  }
  const cols = varying(table.rows, ["task", "metric"], table.header);
  return pivotTable(table, {
    rows: ["calibration"],
    cols: cols.length > 0 ? cols : ["task"],
    value,
    corner: "calibration \\ task",
  });
}

/** The intervention table: setting × corpus perplexity. */
export function interventionHtml(table: RunTable): string {
  if (!["setting", "corpus", "ppl"].every((c) => table.header.includes(c))) return rawTable(table);
  return pivotTable(table, {
    rows: ["setting"],
    cols: ["corpus"],
    value: "ppl",
    corner: "setting \\ corpus (ppl)",
  });
}
