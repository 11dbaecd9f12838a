import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import { writeFileAtomic } from "../util/atomic_write.ts";
import { ActpatError } from "../util/errors.ts";

/** Value type of a CSV column. */
export type CsvColumnType = "string" | "integer" | "number" | "boolean";

/** One documented column; the schema's order is the file's column order. */
export interface CsvColumn {
  name: string;
  type: CsvColumnType;
  description: string;
  /** Allows `null`, written as an empty unquoted field (an empty string is written quoted: `""`). */
  nullable?: boolean;
}

/** The columns of one CSV file, in order. */
export type CsvSchema = readonly CsvColumn[];

/** A value of a CSV cell. */
export type CsvValue = string | number | bigint | boolean | null;

/** One row, by column name. */
export type CsvRow = Record<string, CsvValue>;

/**
 * A number as the shortest decimal that reads back to the same double (ECMAScript Number::toString): full
 * precision, identical on every machine. -0 keeps its sign; NaN and ±Infinity are written as JavaScript
 * spells them (Python's float() and pandas read them back).
 */
export function formatNumber(x: number): string {
  return Object.is(x, -0) ? "-0" : String(x);
}

function cell(schema: CsvColumn, value: CsvValue | undefined, row: number): string | null {
  const where = () => `row ${row + 1}, column "${schema.name}"`;
  if (value === undefined) throw new ActpatError("write CSV", `${where()} is missing`);
  if (value === null) {
    if (!schema.nullable) {
      throw new ActpatError("write CSV", `${where()} is null but the column is not nullable`);
    }
    return null;
  }
  switch (schema.type) {
    case "string":
      if (typeof value !== "string") {
        throw new ActpatError("write CSV", `${where()} is not a string: ${value}`);
      }
      return value;
    case "integer":
      if (typeof value === "bigint") return value.toString();
      if (typeof value !== "number" || !Number.isSafeInteger(value)) {
        throw new ActpatError("write CSV", `${where()} is not a safe integer: ${value}`);
      }
      return formatNumber(value);
    case "number":
      if (typeof value !== "number") {
        throw new ActpatError("write CSV", `${where()} is not a number: ${value}`);
      }
      return formatNumber(value);
    case "boolean":
      if (typeof value !== "boolean") {
        throw new ActpatError("write CSV", `${where()} is not a boolean: ${value}`);
      }
      return value ? "true" : "false";
  }
}

/**
 * Formats rows as CSV (RFC 4180 quoting by csv-stringify, "\n" line ends, header first) in the schema's
 * column order. Keys of a row outside the schema are an error, so no column is dropped silently.
 */
export function formatCsv(schema: CsvSchema, rows: readonly CsvRow[]): string {
  const names = new Set(schema.map((c) => c.name));
  if (names.size !== schema.length) throw new ActpatError("write CSV", "the schema repeats a column name");
  const records: (string | null)[][] = [schema.map((c) => c.name)];
  rows.forEach((row, i) => {
    for (const key of Object.keys(row)) {
      if (!names.has(key)) {
        throw new ActpatError("write CSV", `row ${i + 1} has column "${key}" not in the schema`);
      }
    }
    records.push(schema.map((c) => cell(c, row[c.name], i)));
  });
  // An empty string is written quoted (""), null as an empty unquoted field, so reading tells them apart.
  return stringify(records, {
    record_delimiter: "unix",
    cast: { string: (v) => v === "" ? { value: "", quoted_empty: true } : v },
  });
}

/** Writes rows to `path` atomically (temp file + rename). */
export async function writeCsv(path: string, schema: CsvSchema, rows: readonly CsvRow[]): Promise<void> {
  await writeFileAtomic(path, formatCsv(schema, rows));
}

/** Parses CSV text written by {@link formatCsv}: the header must match the schema; values get their types back. */
export function parseCsv(text: string, schema: CsvSchema, source = "CSV"): CsvRow[] {
  const action = `read ${source}`;
  let records: { value: string; quoted: boolean }[][];
  try {
    records = parse(text, {
      cast: (value, context) => ({ value, quoted: context.quoting }),
      relax_column_count: false,
    }) as unknown as { value: string; quoted: boolean }[][];
  } catch (err) {
    throw new ActpatError(action, (err as Error).message);
  }
  const [header, ...body] = records;
  const names = (header ?? []).map((h) => h.value);
  const expected = schema.map((c) => c.name);
  if (names.join(",") !== expected.join(",")) {
    throw new ActpatError(action, `header is ${JSON.stringify(names)}, expected ${JSON.stringify(expected)}`);
  }
  return body.map((record, r) =>
    Object.fromEntries(schema.map((c, i) => [c.name, readCell(c, record[i], action, r + 1)]))
  );
}

function readCell(
  c: CsvColumn,
  field: { value: string; quoted: boolean },
  action: string,
  row: number,
): CsvValue {
  const { value, quoted } = field;
  const fail = (why: string) => new ActpatError(action, `row ${row}, column "${c.name}": ${why}`);
  if (value === "" && !quoted) {
    if (c.nullable) return null;
    if (c.type !== "string") throw fail("is empty");
  }
  switch (c.type) {
    case "string":
      return value;
    case "integer": {
      if (!/^-?\d+$/.test(value)) throw fail(`"${value}" is not an integer`);
      const n = Number(value);
      return Number.isSafeInteger(n) ? n : BigInt(value);
    }
    case "number":
      if (!/^(-?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?|NaN|-?Infinity)$/i.test(value)) {
        throw fail(`"${value}" is not a number`);
      }
      return Number(value);
    case "boolean":
      if (value !== "true" && value !== "false") throw fail(`"${value}" is not a boolean`);
      return value === "true";
  }
}

/** Reads a CSV file written by {@link writeCsv}. */
export async function readCsv(path: string, schema: CsvSchema): Promise<CsvRow[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new ActpatError(`read ${path}`, (err as Error).message);
  }
  return parseCsv(text, schema, path);
}

/** A CSV as raw cell text: its header line and the rows after it. */
export interface Table {
  header: string[];
  rows: string[][];
}

/** Parses CSV text with a header line into raw cell text; rows keep their own length so bad files show as such. */
export function parseCsvTable(text: string, source: string): Table {
  let rows: string[][];
  try {
    rows = parse(text, { relax_column_count: true, skip_empty_lines: true, bom: true }) as string[][];
  } catch (err) {
    throw new ActpatError("read CSV", `${source}: ${(err as Error).message}`, { cause: err });
  }
  if (rows.length === 0) throw new ActpatError("read CSV", `${source} has no header line`);
  return { header: rows[0], rows: rows.slice(1) };
}

/** Reads a CSV file with a header line into raw cell text ({@link parseCsvTable}). */
export async function readCsvTable(path: string): Promise<Table> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new ActpatError("read CSV", `${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseCsvTable(text, path);
}

/** The rows of a raw table as records keyed by the header (a missing cell reads as ""). */
export function tableRecords(table: Table): Record<string, string>[] {
  return table.rows.map((row) => Object.fromEntries(table.header.map((h, i) => [h, row[i] ?? ""])));
}
