import { basename, join } from "node:path";
import { listRunCsvs, type Table } from "../results/compare.ts";
import { readCsvTable } from "../results/csv.ts";
import { Manifest } from "../results/manifest.ts";

/** A CSV row as text cells keyed by column name. */
export type Row = Record<string, string>;

/** One CSV of a run: its path relative to the run directory, header and rows. */
export interface RunTable {
  path: string;
  header: string[];
  rows: Row[];
}

/** What the report reads from a run directory. */
export interface RunData {
  dir: string;
  /**
   * Parsed manifest.json; undefined when absent or unreadable. Kept (and read leniently) when it does not
   * follow the Manifest schema, e.g. a run of an older actpat; `manifestProblem` then says what is off.
   */
  manifest: unknown;
  manifestProblem?: string;
  /** CSVs by file name; where a name occurs in several folders, the shallowest (then first sorted) wins. */
  tables: Map<string, RunTable>;
}

function toRows(table: Table): Row[] {
  return table.rows.map((r) => Object.fromEntries(table.header.map((h, i) => [h, r[i] ?? ""])));
}

/** Reads manifest.json and every CSV of the run directory `dir`. */
export async function loadRun(dir: string): Promise<RunData> {
  let manifest: unknown;
  let manifestProblem: string | undefined;
  try {
    manifest = JSON.parse(await Deno.readTextFile(join(dir, "manifest.json")));
    const parsed = Manifest.safeParse(manifest);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      manifestProblem = `manifest.json does not follow the manifest schema (field "${
        issue.path.join(".")
      }" ${issue.message}): provenance below is what could be read`;
    }
  } catch (err) {
    manifestProblem = err instanceof Deno.errors.NotFound
      ? "manifest.json is absent: the run's provenance is unknown"
      : `manifest.json is unreadable (${(err as Error).message}): the run's provenance is unknown`;
  }
  const depth = (p: string) => p.split("/").length;
  const paths = (await listRunCsvs(dir)).sort((a, b) => depth(a) - depth(b) || a.localeCompare(b));
  const tables = new Map<string, RunTable>();
  for (const path of paths) {
    const name = basename(path);
    if (tables.has(name)) continue;
    const table = await readCsvTable(join(dir, path));
    tables.set(name, { path, header: table.header, rows: toRows(table) });
  }
  return { dir, manifest, manifestProblem, tables };
}
