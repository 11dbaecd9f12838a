import { join, relative } from "node:path";
import { ActpatError } from "../util/errors.ts";
import { allowedDiff, histogramRuleFor, toleranceFor, type Tolerances } from "./tolerances.ts";
import { compareHistogramTables } from "./_compare_histogram.ts";
import { formatKey, matchRows, type Table } from "./_compare_rows.ts";
import { readCsvTable } from "./csv.ts";
import { type CsvSchema, writeCsv } from "./csv.ts";

export type { Table } from "./_compare_rows.ts";
export { CSV_KEYS, RUN_COLUMNS } from "./_compare_rows.ts";
export { formatSummary } from "./_compare_summary.ts";

/**
 * What happened to one cell (or one row, for `missing`/`added`):
 * - `ok`: equal, or numbers within tolerance;
 * - `beyond`: numbers further apart than the tolerance;
 * - `changed`: text differs, or a number became text;
 * - `missing` / `added`: the row (key) exists only in run A / only in run B;
 * - `missing_column` / `added_column`: the column exists only in run A / only in run B.
 * `beyond`, `changed`, `missing` and `missing_column` fail the comparison; additions are reported only, so a
 * run that measures more than its baseline still passes.
 */
export type CellStatus =
  | "ok"
  | "beyond"
  | "changed"
  | "missing"
  | "added"
  | "missing_column"
  | "added_column";

const FAILING: ReadonlySet<CellStatus> = new Set(["beyond", "changed", "missing", "missing_column"]);

/** One line of `compare.csv`. Numbers are NaN where they do not apply. */
export interface CompareCell {
  file: string;
  key: string;
  column: string;
  a: string;
  b: string;
  absDiff: number;
  relDiff: number;
  /** Largest allowed |a − b| for this cell (abs + rel·|a|). */
  tolerance: number;
  status: CellStatus;
}

/** The comparison of one CSV file present in at least one of the runs. */
export interface FileComparison {
  /** Path relative to the run directory, e.g. `density.csv`. */
  file: string;
  keyColumns: string[];
  /** Rows present in both runs. */
  rowsCompared: number;
  rowsMissing: number;
  rowsAdded: number;
  /** Rows present in both runs with at least one failing cell. */
  rowsMoved: number;
  cells: CompareCell[];
  /** How the rows were matched when the key table was not enough. */
  notes: string[];
}

export interface RunComparison {
  runA: string;
  runB: string;
  files: FileComparison[];
  /** True when any cell failed (beyond tolerance, changed, missing). */
  failed: boolean;
}

/** True when `status` fails the comparison. */
export function isFailing(status: CellStatus): boolean {
  return FAILING.has(status);
}

function parseNumber(text: string): number | undefined {
  const t = text.trim();
  if (t === "") return undefined;
  const n = Number(t);
  return Number.isNaN(n) && t !== "NaN" ? undefined : n;
}

/** Compares one cell pair under the tolerance that applies to it. */
function compareCell(
  a: string,
  b: string,
  tolerance: { abs: number; rel: number },
): Pick<CompareCell, "absDiff" | "relDiff" | "tolerance" | "status"> {
  const na = parseNumber(a);
  const nb = parseNumber(b);
  if (na === undefined || nb === undefined) {
    const status = a === b ? "ok" : "changed";
    return { absDiff: NaN, relDiff: NaN, tolerance: NaN, status };
  }
  const allowed = allowedDiff(tolerance, na);
  if (Number.isNaN(na) || Number.isNaN(nb)) {
    const same = Number.isNaN(na) && Number.isNaN(nb);
    return { absDiff: NaN, relDiff: NaN, tolerance: allowed, status: same ? "ok" : "changed" };
  }
  // Equal infinities subtract to NaN; they are equal values.
  const absDiff = na === nb ? 0 : Math.abs(na - nb);
  const relDiff = absDiff === 0 ? 0 : absDiff / Math.abs(na);
  return { absDiff, relDiff, tolerance: allowed, status: absDiff <= allowed ? "ok" : "beyond" };
}

/**
 * Compares two versions of one CSV (either may be absent) cell by cell, rows matched by key; a file the
 * tolerances declare a histogram is compared as distributions instead (src/results/_compare_histogram.ts).
 */
export function compareTables(
  file: string,
  a: Table | undefined,
  b: Table | undefined,
  tolerances: Tolerances,
): FileComparison {
  const histogram = histogramRuleFor(tolerances, file);
  if (histogram?.histogram) return compareHistogramTables(file, a, b, histogram.histogram, histogram);
  const match = matchRows(file, a, b);
  const cells: CompareCell[] = [];
  const empty = { absDiff: NaN, relDiff: NaN, tolerance: NaN };
  for (const column of match.columnsOnlyA) {
    cells.push({ file, key: "", column, a: column, b: "", ...empty, status: "missing_column" });
  }
  for (const column of match.columnsOnlyB) {
    cells.push({ file, key: "", column, a: "", b: column, ...empty, status: "added_column" });
  }
  let rowsMoved = 0;
  for (const pair of match.pairs) {
    let moved = false;
    for (const column of match.valueColumns) {
      const va = pair.a[column] ?? "";
      const vb = pair.b[column] ?? "";
      const result = compareCell(va, vb, toleranceFor(tolerances, file, column, pair.a));
      if (isFailing(result.status)) moved = true;
      cells.push({ file, key: pair.key, column, a: va, b: vb, ...result });
    }
    if (moved) rowsMoved++;
  }
  // A whole row present on one side only: its values go in a or b, so compare.csv shows what was lost.
  const rest = (values: Record<string, string>) => formatKey(values, match.valueColumns);
  for (const row of match.onlyA) {
    cells.push({ file, key: row.key, column: "*", a: rest(row.values), b: "", ...empty, status: "missing" });
  }
  for (const row of match.onlyB) {
    cells.push({ file, key: row.key, column: "*", a: "", b: rest(row.values), ...empty, status: "added" });
  }
  return {
    file,
    keyColumns: match.keyColumns,
    rowsCompared: match.pairs.length,
    rowsMissing: match.onlyA.length,
    rowsAdded: match.onlyB.length,
    rowsMoved,
    cells,
    notes: match.notes,
  };
}

/**
 * Files that belong to the report or to an earlier comparison, not to the measurements; `cells/` holds the
 * parts of a reproduction's stages, whose results its stage folders hold too.
 */
const SKIPPED_DIRS = new Set(["figures", "cells"]);
const SKIPPED_FILES = new Set(["compare.csv"]);

/** CSV files under `dir`, as sorted paths relative to it. */
export async function listRunCsvs(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(sub: string): Promise<void> {
    for await (const entry of Deno.readDir(sub)) {
      const path = join(sub, entry.name);
      if (entry.isDirectory && !SKIPPED_DIRS.has(entry.name)) await walk(path);
      else if (entry.isFile && entry.name.endsWith(".csv") && !SKIPPED_FILES.has(entry.name)) {
        out.push(relative(dir, path));
      }
    }
  }
  await walk(dir);
  return out.sort();
}

async function assertRunDir(dir: string, flag: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch {
    throw new ActpatError("compare runs", `${flag} ${dir} does not exist`);
  }
  if (!info.isDirectory) throw new ActpatError("compare runs", `${flag} ${dir} is not a directory`);
}

/** Compares every CSV present in either run directory; `runA` is the reference. */
export async function compareRuns(
  runA: string,
  runB: string,
  tolerances: Tolerances,
): Promise<RunComparison> {
  await assertRunDir(runA, "RUN_A");
  await assertRunDir(runB, "RUN_B");
  const [filesA, filesB] = await Promise.all([listRunCsvs(runA), listRunCsvs(runB)]);
  const names = [...new Set([...filesA, ...filesB])].sort();
  if (names.length === 0) {
    throw new ActpatError("compare runs", `neither ${runA} nor ${runB} holds a CSV file`);
  }
  const files: FileComparison[] = [];
  for (const name of names) {
    const a = filesA.includes(name) ? await readCsvTable(join(runA, name)) : undefined;
    const b = filesB.includes(name) ? await readCsvTable(join(runB, name)) : undefined;
    files.push(compareTables(name, a, b, tolerances));
  }
  const failed = files.some((f) => f.cells.some((c) => isFailing(c.status)));
  return { runA, runB, files, failed };
}

/** The columns of `compare.csv`; numbers are empty (null) where they do not apply. */
export const COMPARE_SCHEMA: CsvSchema = [
  { name: "file", type: "string", description: "CSV path relative to the run directory" },
  { name: "key", type: "string", description: "key columns of the row, `col=value;...` (#n: n-th repeat)" },
  { name: "column", type: "string", description: "compared column; `*` for a whole missing/added row" },
  { name: "a", type: "string", description: "value in RUN_A (the reference)" },
  { name: "b", type: "string", description: "value in RUN_B" },
  { name: "abs_diff", type: "number", nullable: true, description: "|a − b|" },
  { name: "rel_diff", type: "number", nullable: true, description: "|a − b| / |a|" },
  {
    name: "tolerance",
    type: "number",
    nullable: true,
    description: "largest allowed |a − b|: abs + rel·|a|",
  },
  {
    name: "status",
    type: "string",
    description: "ok, beyond, changed, missing, added, missing_column, added_column",
  },
];

const orNull = (x: number) => Number.isNaN(x) ? null : x;

/** Writes every compared cell, missing and added row of `result` to `path` (atomically). */
export async function writeCompareCsv(path: string, result: RunComparison): Promise<void> {
  const rows = result.files.flatMap((f) =>
    f.cells.map((c) => ({
      file: c.file,
      key: c.key,
      column: c.column,
      a: c.a,
      b: c.b,
      abs_diff: orNull(c.absDiff),
      rel_diff: orNull(c.relDiff),
      tolerance: orNull(c.tolerance),
      status: c.status,
    }))
  );
  await writeCsv(path, COMPARE_SCHEMA, rows);
}
