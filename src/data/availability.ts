import type { DatasetKind } from "./dataset_spec.ts";
import { loadSplit } from "./load.ts";
import { DATASETS } from "./registry.ts";
import { type Availability, onDisk, type ResolveOptions, splitAvailability } from "./resolve.ts";

/** One line of `deno task data --list`. */
export interface SplitStatus {
  dataset: string;
  kind: DatasetKind;
  licence: string;
  split: string;
  availability: Availability;
  officialRows: number;
  /** Rows found, for splits on disk (counted unless `count` is off). */
  rows?: number;
  /** Why a split that is on disk could not be read (e.g. a checksum mismatch). */
  error?: string;
}

/**
 * Where every split of every registered dataset can be had (embedded, mirror, cache, downloadable,
 * unavailable) and,
 * for those on disk, how many rows they hold next to the official size. Nothing is downloaded.
 */
export async function datasetStatus(
  options: ResolveOptions & { count?: boolean } = {},
): Promise<SplitStatus[]> {
  const out: SplitStatus[] = [];
  for (const name of DATASETS.names()) {
    const spec = DATASETS.get(name);
    for (const [split, s] of Object.entries(spec.splits)) {
      const availability = await splitAvailability(spec.folder ?? name, s.sources, options);
      const status: SplitStatus = {
        dataset: name,
        kind: spec.kind,
        licence: spec.licence,
        split,
        availability,
        officialRows: s.rows,
      };
      if (options.count !== false && onDisk(availability)) {
        try {
          const loaded = await loadSplit(name, split, { ...options, download: false, strictRows: false });
          status.rows = loaded.docs.length;
        } catch (err) {
          status.error = err instanceof Error ? err.message : String(err);
        }
      }
      out.push(status);
    }
  }
  return out;
}

/** The status lines as an aligned text table. */
export function formatStatus(lines: SplitStatus[]): string {
  const header = ["dataset", "kind", "split", "available", "rows", "official", "check"];
  const rows = lines.map((l) => [
    l.dataset,
    l.kind,
    l.split,
    l.availability,
    l.rows === undefined ? "-" : String(l.rows),
    String(l.officialRows),
    l.error ? `error: ${l.error}` : l.rows === undefined ? "" : l.rows === l.officialRows ? "ok" : "MISMATCH",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => i === 6 ? 0 : r[i].length)));
  const fmt = (r: string[]) =>
    r.map((c, i) => (i === 4 || i === 5 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ").trimEnd();
  return [fmt(header), ...rows.map(fmt)].join("\n");
}
