import type { CompareCell, FileComparison, RunComparison } from "./compare.ts";

/** Short form of a number for the summary: 6 significant digits, no trailing zeros. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return "0";
  const abs = Math.abs(x);
  if (abs >= 1e6 || abs < 1e-4) return x.toExponential(3).replace(/\.?0+e/, "e");
  return String(Number(x.toPrecision(6)));
}

function signed(x: number): string {
  return x >= 0 ? `+${formatNumber(x)}` : formatNumber(x);
}

/** One line for a cell that moved: `key  column: a → b (Δ +d, +p%; tolerance t)`. */
function describeMove(cell: CompareCell): string {
  if (cell.status === "changed") return `${cell.key}  ${cell.column}: "${cell.a}" → "${cell.b}"`;
  const delta = Number(cell.b) - Number(cell.a);
  const pct = Number(cell.a) === 0
    ? ""
    : `, ${signed(Number(((100 * delta) / Math.abs(Number(cell.a))).toPrecision(3)))}%`;
  return `${cell.key}  ${cell.column}: ${cell.a} → ${cell.b} (Δ ${signed(delta)}${pct}; tolerance ${
    formatNumber(cell.tolerance)
  })`;
}

/** How far beyond its tolerance a cell is, for ordering the worst first (text changes rank first). */
function severity(cell: CompareCell): number {
  if (cell.status === "changed") return Infinity;
  return cell.tolerance > 0 ? cell.absDiff / cell.tolerance : Infinity;
}

function fileSummary(f: FileComparison, maxLines: number): string[] {
  const present = f.rowsCompared + f.rowsMissing + f.rowsAdded;
  const lines: string[] = [];
  const onlyIn = f.rowsCompared === 0 && f.rowsMissing > 0 && f.rowsAdded === 0
    ? " (file only in A)"
    : f.rowsCompared === 0 && f.rowsAdded > 0 && f.rowsMissing === 0
    ? " (file only in B)"
    : "";
  const clean = f.cells.every((c) => c.status === "ok");
  lines.push(
    `${f.file}${onlyIn}: ${f.rowsCompared} rows compared, ${f.rowsMoved} moved beyond tolerance, ` +
      `${f.rowsMissing} missing, ${f.rowsAdded} added${clean && present > 0 ? " — clean" : ""}`,
  );
  if (clean && f.notes.length === 0) return lines;
  lines.push(`  keys: ${f.keyColumns.join(", ") || "(none)"}`);
  for (const note of f.notes) lines.push(`  note: ${note}`);
  const moved = f.cells.filter((c) => c.status === "beyond" || c.status === "changed")
    .sort((x, y) => severity(y) - severity(x));
  for (const cell of moved.slice(0, maxLines)) lines.push(`  moved    ${describeMove(cell)}`);
  if (moved.length > maxLines) {
    lines.push(`  … ${moved.length - maxLines} more moved cells (every cell: --out DIR writes compare.csv)`);
  }
  const columns = f.cells.filter((c) => c.status === "missing_column" || c.status === "added_column");
  for (const c of columns) {
    lines.push(
      `  ${c.status === "missing_column" ? "column missing in B" : "column added in B"}: ${c.column}`,
    );
  }
  if (onlyIn) return lines;
  for (const status of ["missing", "added"] as const) {
    const rows = f.cells.filter((c) => c.status === status);
    for (const c of rows.slice(0, maxLines)) lines.push(`  ${status.padEnd(8)} ${c.key}`);
    if (rows.length > maxLines) {
      lines.push(
        `  … ${rows.length - maxLines} more ${status} rows (every row: --out DIR writes compare.csv)`,
      );
    }
  }
  return lines;
}

/** The human-readable report of a comparison, worst moves first, at most `maxLines` listed per kind and file. */
export function formatSummary(result: RunComparison, maxLines = 10): string {
  const lines = [`compare ${result.runA} (A, reference) → ${result.runB} (B)`, ""];
  for (const f of result.files) {
    const block = fileSummary(f, maxLines);
    lines.push(...block);
    if (block.length > 1) lines.push("");
  }
  if (lines.at(-1) !== "") lines.push("");
  const moved = result.files.reduce((n, f) => n + f.rowsMoved, 0);
  const missing = result.files.reduce((n, f) => n + f.rowsMissing, 0);
  const columns = result.files.reduce(
    (n, f) => n + f.cells.filter((c) => c.status === "missing_column").length,
    0,
  );
  lines.push(
    result.failed
      ? `FAIL: ${moved} rows moved beyond tolerance, ${missing} rows missing, ${columns} columns missing`
      : `OK: ${result.files.length} files match within tolerance`,
  );
  return lines.join("\n");
}
