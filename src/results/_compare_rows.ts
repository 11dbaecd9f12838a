import { type Table, tableRecords } from "./csv.ts";

export type { Table };

/**
 * Key columns per CSV file name (basename): the columns that say *what* a row measures, as defined by the
 * experiment issues (#4–#7). Listed columns absent from a file are skipped, so one entry serves the long and
 * the wide layout of a file (e.g. relevance.csv as `dataset_a, dataset_b, value` or as a `dataset` × dataset
 * matrix). When the listed keys do not make rows unique, matching adds the remaining text columns, then the
 * occurrence order, and says so in the notes. Unlisted files are matched by their text columns.
 */
export const CSV_KEYS: Readonly<Record<string, readonly string[]>> = {
  "density.csv": ["dataset", "layer", "module"],
  "density_histogram.csv": ["dataset", "layer", "module", "bin", "bin_lo", "bin_hi", "lo", "hi"],
  "similarity.csv": ["dataset_a", "dataset_b", "pair", "layer"],
  "similarity_summary.csv": ["dataset_a", "dataset_b", "layer"],
  "relevance.csv": ["dataset_a", "dataset_b", "dataset"],
  "table1.csv": ["method", "allocation", "sparsity", "task", "metric", "scoring"],
  "transfer.csv": ["calibration", "task", "metric", "scoring"],
  "eval.csv": ["task", "metric", "scoring", "shots"],
  "sparsity.csv": ["method", "allocation", "calibration", "layer", "module"],
  "sts.csv": ["benchmark", "split", "layers", "method", "measure", "baseline"],
  "sts_pairs.csv": ["benchmark", "split", "pair", "pair_id", "id", "layer"],
  "massive.csv": ["corpus", "layer"],
  "massive_locations.csv": ["corpus", "layer", "rank", "dimension", "position"],
  "intervention.csv": ["setting", "corpus"],
  "massive_features.csv": ["layer", "position", "dimension"],
  "attention_mass.csv": ["layer", "head"],
};

/**
 * Columns that name the run itself rather than a measurement. They are neither keys nor compared: comparing
 * two versions of a model (`compare` exists for that) would otherwise flag every row, or match no row at all.
 */
export const RUN_COLUMNS: readonly string[] = [
  "model",
  "model_ref",
  "revision",
  "run",
  "run_id",
  "date",
  "timestamp",
];

export interface KeyedRow {
  key: string;
  values: Record<string, string>;
}

export interface RowMatch {
  keyColumns: string[];
  /** Columns compared cell by cell: in both headers, not keys, not run columns. */
  valueColumns: string[];
  columnsOnlyA: string[];
  columnsOnlyB: string[];
  pairs: { key: string; a: Record<string, string>; b: Record<string, string> }[];
  onlyA: KeyedRow[];
  onlyB: KeyedRow[];
  notes: string[];
}

/** `layer=3;module=q_proj` from the key columns' values. */
export function formatKey(
  values: Record<string, string>,
  columns: readonly string[] = Object.keys(values),
): string {
  return columns.map((c) => `${c}=${values[c] ?? ""}`).join(";");
}

function records(table: Table | undefined): Record<string, string>[] {
  return table ? tableRecords(table) : [];
}

function isNumeric(text: string): boolean {
  const t = text.trim();
  return t !== "" && (!Number.isNaN(Number(t)) || t === "NaN");
}

function unique(rows: Record<string, string>[], columns: string[]): boolean {
  const seen = new Set<string>();
  for (const row of rows) {
    const key = formatKey(row, columns);
    if (seen.has(key)) return false;
    seen.add(key);
  }
  return true;
}

/** Keys each row of `rows` by `columns`, numbering repeats (`#2`, `#3`, ...) when `ordered`. */
function keyRows(rows: Record<string, string>[], columns: string[], ordered: boolean): KeyedRow[] {
  const count = new Map<string, number>();
  return rows.map((values) => {
    let key = formatKey(values, columns);
    if (ordered) {
      const n = (count.get(key) ?? 0) + 1;
      count.set(key, n);
      key = `${key}#${n}`;
    }
    return { key, values };
  });
}

/** Matches the rows of two versions of `file` by key (see CSV_KEYS) and lists the columns to compare. */
export function matchRows(file: string, a: Table | undefined, b: Table | undefined): RowMatch {
  const base = file.split("/").pop()!;
  const notes: string[] = [];
  const headerA = a?.header ?? b!.header;
  const headerB = b?.header ?? a!.header;
  const shared = headerA.filter((h) => headerB.includes(h) && !RUN_COLUMNS.includes(h));
  const rowsA = records(a);
  const rowsB = records(b);
  const all = [...rowsA, ...rowsB];
  const textColumns = shared.filter((c) => all.some((r) => !isNumeric(r[c])));

  const listed = CSV_KEYS[base];
  let keyColumns = listed ? listed.filter((c) => shared.includes(c)) : textColumns;
  if (!listed) notes.push(`no key table entry for ${base}: rows matched by text columns`);
  if (!(unique(rowsA, keyColumns) && unique(rowsB, keyColumns))) {
    const extra = textColumns.filter((c) => !keyColumns.includes(c));
    if (extra.length > 0) {
      keyColumns = [...keyColumns, ...extra];
      notes.push(`keys not unique; added text columns ${extra.join(", ")}`);
    }
  }
  const ordered = !(unique(rowsA, keyColumns) && unique(rowsB, keyColumns));
  if (ordered) {
    notes.push(`keys (${keyColumns.join(", ") || "none"}) not unique; repeated rows matched in order`);
  }

  const keyedA = keyRows(rowsA, keyColumns, ordered);
  const keyedB = keyRows(rowsB, keyColumns, ordered);
  const byKeyB = new Map(keyedB.map((r) => [r.key, r]));
  const keysA = new Set(keyedA.map((r) => r.key));
  const pairs = keyedA.filter((r) => byKeyB.has(r.key)).map((r) => ({
    key: r.key,
    a: r.values,
    b: byKeyB.get(r.key)!.values,
  }));
  return {
    keyColumns,
    valueColumns: shared.filter((c) => !keyColumns.includes(c)),
    columnsOnlyA: a && b ? headerA.filter((h) => !headerB.includes(h) && !RUN_COLUMNS.includes(h)) : [],
    columnsOnlyB: a && b ? headerB.filter((h) => !headerA.includes(h) && !RUN_COLUMNS.includes(h)) : [],
    pairs,
    onlyA: keyedA.filter((r) => !byKeyB.has(r.key)),
    onlyB: keyedB.filter((r) => !keysA.has(r.key)),
    notes,
  };
}
