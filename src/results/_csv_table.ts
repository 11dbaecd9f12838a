import { parse } from "csv-parse/sync";
import { ActpatError } from "../util/errors.ts";
import type { Table } from "./_compare_rows.ts";

/** Reads a CSV with a header line into raw cell text; rows keep their own length so bad files show as such. */
export async function readCsvTable(path: string): Promise<Table> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new ActpatError("read CSV", `${path}: ${(err as Error).message}`, { cause: err });
  }
  let rows: string[][];
  try {
    rows = parse(text, { relax_column_count: true, skip_empty_lines: true, bom: true }) as string[][];
  } catch (err) {
    throw new ActpatError("read CSV", `${path}: ${(err as Error).message}`, { cause: err });
  }
  if (rows.length === 0) throw new ActpatError("read CSV", `${path} has no header line`);
  return { header: rows[0], rows: rows.slice(1) };
}
