/**
 * Comparison of histogram CSVs (one row per non-empty bin) that is stable under bin-edge jitter.
 *
 * A value within float32 rounding of a bin edge lands on either side of it depending on the order of a
 * reduction (thread count, SIMD width, execution provider), so two correct runs may disagree by ±1 count in
 * neighbouring bins. Compared cell by cell, such a histogram fails on any other machine. Compared as
 * distributions, it does not: per group (e.g. dataset × layer × module),
 *  - the totals must be equal (every value is counted once);
 *  - matching the i-th smallest value of one run with the i-th smallest of the other (the monotone matching,
 *    read off the cumulative counts), no value may move further than `maxShift` bins;
 *  - the earth mover's distance Σ_k |C_A(k) − C_B(k)| (C the cumulative counts, so the number of values moved
 *    times the bins each moved) may not exceed `abs + rel · total`.
 * Bin-edge jitter moves a few values by one bin; a real change moves many, or moves some far.
 */
import { ActpatError } from "../util/errors.ts";
import type { CellStatus, CompareCell, FileComparison } from "./compare.ts";
import { formatKey, type Table } from "./_compare_rows.ts";

/** How a histogram CSV is laid out: the group columns, the bin index column and the count column. */
export interface HistogramLayout {
  groupBy: string[];
  bin: string;
  count: string;
  /** Largest bin shift of one value allowed between the runs (1: neighbouring bins). */
  maxShift: number;
}

interface Group {
  key: string;
  /** Count per bin index. */
  counts: Map<number, number>;
  /** Other columns of each bin's row (its edges), to check that both runs bin alike. */
  rest: Map<number, string>;
}

function groups(table: Table | undefined, layout: HistogramLayout, file: string): Map<string, Group> {
  const out = new Map<string, Group>();
  if (!table) return out;
  const col = (name: string) => {
    const i = table.header.indexOf(name);
    if (i < 0) throw new ActpatError(`compare ${file} as a histogram`, `it has no column ${name}`);
    return i;
  };
  const binAt = col(layout.bin);
  const countAt = col(layout.count);
  const groupAt = layout.groupBy.map(col);
  const restAt = table.header.map((_, i) => i).filter((i) =>
    i !== binAt && i !== countAt && !groupAt.includes(i)
  );
  for (const row of table.rows) {
    const key = formatKey(Object.fromEntries(layout.groupBy.map((c, i) => [c, row[groupAt[i]] ?? ""])));
    let g = out.get(key);
    if (!g) out.set(key, g = { key, counts: new Map(), rest: new Map() });
    const bin = Number(row[binAt]);
    const count = Number(row[countAt]);
    if (!Number.isInteger(bin) || !Number.isFinite(count)) {
      throw new ActpatError(
        `compare ${file} as a histogram`,
        `row ${row.join(",")} has no integer ${layout.bin} or no numeric ${layout.count}`,
      );
    }
    g.counts.set(bin, (g.counts.get(bin) ?? 0) + count);
    g.rest.set(bin, restAt.map((i) => `${table.header[i]}=${row[i]}`).join(";"));
  }
  return out;
}

/** Sum of counts. */
function total(counts: Map<number, number>): number {
  let t = 0;
  for (const c of counts.values()) t += c;
  return t;
}

/**
 * Earth mover's distance in bins and the largest shift of the monotone matching between two histograms of
 * equal totals. Walks both cumulative counts over the union of their bins.
 */
export function histogramDistance(
  a: ReadonlyMap<number, number>,
  b: ReadonlyMap<number, number>,
): { emd: number; maxShift: number } {
  const bins = [...new Set([...a.keys(), ...b.keys()])].sort((x, y) => x - y);
  let emd = 0;
  let ca = 0;
  let cb = 0;
  for (let i = 0; i < bins.length; i++) {
    ca += a.get(bins[i]) ?? 0;
    cb += b.get(bins[i]) ?? 0;
    // Between this bin and the next, |C_A − C_B| values sit on the wrong side of every edge crossed.
    const width = i + 1 < bins.length ? bins[i + 1] - bins[i] : 0;
    emd += Math.abs(ca - cb) * width;
  }
  // Largest shift: the i-th value of A sits in bin binA(i), of B in binB(i); walk both in order.
  const la = [...a.entries()].filter(([, c]) => c > 0).sort((x, y) => x[0] - y[0]);
  const lb = [...b.entries()].filter(([, c]) => c > 0).sort((x, y) => x[0] - y[0]);
  let maxShift = 0;
  let ia = 0;
  let ib = 0;
  let leftA = la[0]?.[1] ?? 0;
  let leftB = lb[0]?.[1] ?? 0;
  while (ia < la.length && ib < lb.length) {
    maxShift = Math.max(maxShift, Math.abs(la[ia][0] - lb[ib][0]));
    const step = Math.min(leftA, leftB);
    leftA -= step;
    leftB -= step;
    if (leftA === 0 && ++ia < la.length) leftA = la[ia][1];
    if (leftB === 0 && ++ib < lb.length) leftB = lb[ib][1];
  }
  return { emd, maxShift };
}

/**
 * Compares two versions of a histogram CSV (either may be absent) group by group, as described in the module
 * comment. Cells: per group `<count>:total` (exact), `<count>:max_shift` (≤ maxShift) and `<count>:moved`
 * (the earth mover's distance, ≤ abs + rel · total); a bin whose other columns (its edges) differ between the
 * runs is `changed`; a group on one side only is `missing` / `added`.
 */
export function compareHistogramTables(
  file: string,
  a: Table | undefined,
  b: Table | undefined,
  layout: HistogramLayout,
  bound: { abs: number; rel: number },
): FileComparison {
  const ga = groups(a, layout, file);
  const gb = groups(b, layout, file);
  const cells: CompareCell[] = [];
  const none = { absDiff: NaN, relDiff: NaN, tolerance: NaN };
  const cell = (
    key: string,
    column: string,
    va: number,
    vb: number,
    diff: number,
    tolerance: number,
    ok: boolean,
  ) =>
    cells.push({
      file,
      key,
      column: `${layout.count}:${column}`,
      a: String(va),
      b: String(vb),
      absDiff: diff,
      relDiff: va === 0 ? (diff === 0 ? 0 : Infinity) : diff / Math.abs(va),
      tolerance,
      status: ok ? "ok" : "beyond",
    });
  // Row counts are of bin rows, as for other files: a group's rows are compared, moved or missing together.
  let rowsMoved = 0;
  let compared = 0;
  for (const [key, A] of ga) {
    const B = gb.get(key);
    if (!B) {
      cells.push({
        file,
        key,
        column: "*",
        a: `${total(A.counts)} values`,
        b: "",
        ...none,
        status: "missing",
      });
      continue;
    }
    compared += A.counts.size;
    const before = cells.length;
    const ta = total(A.counts);
    const tb = total(B.counts);
    cell(key, "total", ta, tb, Math.abs(ta - tb), 0, ta === tb);
    if (ta === tb) {
      const { emd, maxShift } = histogramDistance(A.counts, B.counts);
      cell(key, "max_shift", 0, maxShift, maxShift, layout.maxShift, maxShift <= layout.maxShift);
      const allowed = bound.abs + bound.rel * ta;
      cell(key, "moved", 0, emd, emd, allowed, emd <= allowed);
    }
    for (const [bin, rest] of A.rest) {
      const other = B.rest.get(bin);
      if (other !== undefined && other !== rest) {
        const status: CellStatus = "changed";
        cells.push({
          file,
          key: `${key};${layout.bin}=${bin}`,
          column: "*",
          a: rest,
          b: other,
          ...none,
          status,
        });
      }
    }
    if (cells.slice(before).some((c) => c.status !== "ok")) rowsMoved += A.counts.size;
  }
  let added = 0;
  for (const [key, B] of gb) {
    if (ga.has(key)) continue;
    added += B.counts.size;
    cells.push({ file, key, column: "*", a: "", b: `${total(B.counts)} values`, ...none, status: "added" });
  }
  return {
    file,
    keyColumns: layout.groupBy,
    rowsCompared: compared,
    rowsMissing: [...ga.values()].filter((g) => !gb.has(g.key)).reduce((n, g) => n + g.counts.size, 0),
    rowsAdded: added,
    rowsMoved,
    cells,
    notes: [],
  };
}
