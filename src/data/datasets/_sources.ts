/**
 * Building blocks of the dataset files: hub parquet sources, publisher files, the pieces the repository embeds.
 * Files are looked for in order: embedded in the repository (`datasets/<name>/<file>`), the mirror
 * (`$ACTPAT_MIRROR/datasets/<name>/<file>`), the cache, then downloaded (src/data/resolve.ts).
 */
import { ActpatError } from "../../util/errors.ts";
import type { DataFile, SplitSource } from "../dataset_spec.ts";

/** The hub's dataset URLs. */
export const HF = "https://huggingface.co/datasets";
/** The hub's automatic parquet export. */
export const PARQUET_BRANCH = "refs%2Fconvert%2Fparquet";
/** Answer letters of the lettered multiple-choice prompts. */
export const LETTERS = ["A", "B", "C", "D"];

/** A hub parquet file, mirrored and cached under its path in the repository. */
export function hubParquet(
  repo: string,
  path: string,
  toDocs: (rows: unknown[]) => unknown[],
  branch = "main",
): SplitSource {
  return {
    origin: "hub",
    files: [{ file: path, format: "parquet", url: `${HF}/${repo}/resolve/${branch}/${path}` }],
    toDocs: ([rows]) => toDocs(rows),
  };
}

/** A hub parquet file whose rows already have the doc's fields. */
export function hubParquetAsIs(repo: string, path: string, branch = "main"): SplitSource {
  return hubParquet(repo, path, (rows) => rows, branch);
}

/**
 * A piece of split `of` embedded in the repository (datasets/<folder>/): publisher-format files holding the
 * first lines of the originals (each file's `prefixOf`), parsed as the whole split is.
 */
export function piece(of: string, rows: number, files: DataFile[], toDocs: SplitSource["toDocs"]) {
  return { rows, pieceOf: of, sources: [{ origin: "publisher" as const, files, toDocs }] };
}

/** Publisher files whose rows already are the docs (one file). */
export function publisherAsIs(file: DataFile): SplitSource {
  return { origin: "publisher", files: [file], toDocs: ([rows]) => rows };
}

/** Publisher jsonl with a sibling label file, one label per line (PIQA, SIQA). */
export function withLabels(rows: unknown[], labels: unknown[], labelsFile: string): unknown[] {
  if (rows.length !== labels.length) {
    throw new ActpatError(`join ${labelsFile}`, `${labels.length} labels for ${rows.length} rows`);
  }
  return rows.map((row, i) => ({ ...(row as object), label: Number(labels[i]) }));
}

/** A parsed row as a record of its fields. */
export function record(row: unknown): Record<string, unknown> {
  return row as Record<string, unknown>;
}
