/**
 * Benchmark output: the printed table, `bench.csv`, and the agreement of every run with a reference run of
 * the same model, suite and length (cpu float32 when present), so provider and dtype errors are measured.
 */
import { stringify } from "csv-stringify/sync";
import type { BenchRow, DensityRecord } from "./suites.ts";

/** CSV columns, in order (see {@link BenchRow} for their meaning). */
export const CSV_COLUMNS: readonly (keyof BenchRow)[] = [
  "suite",
  "model",
  "layers",
  "linear_params",
  "ep",
  "dtype",
  "device",
  "threads",
  "seq_len",
  "batch",
  "samples",
  "tokens",
  "setup_s",
  "warmup_s",
  "time_s",
  "host_s",
  "tokens_per_s",
  "samples_per_s",
  "gflop",
  "tflop_per_s",
  "peak_rss_gib",
  "peak_gpu_mib",
];

function round(v: unknown): unknown {
  if (typeof v !== "number" || Number.isInteger(v)) return v;
  return Number(v.toPrecision(5));
}

/** The rows as CSV text (header first, numbers to 5 significant digits). */
export function benchCsv(rows: readonly BenchRow[]): string {
  return stringify(rows.map((r) => CSV_COLUMNS.map((c) => round(r[c]))), {
    header: true,
    columns: CSV_COLUMNS as string[],
    record_delimiter: "\n",
  });
}

function fmt(v: number | "", digits = 3): string {
  if (v === "") return "-";
  if (!Number.isFinite(v)) return "nan";
  if (v !== 0 && (Math.abs(v) >= 1e5 || Math.abs(v) < 1e-2)) return v.toExponential(2);
  return v.toFixed(digits);
}

/** A fixed-width table of the rows for the terminal. */
export function benchTable(rows: readonly BenchRow[]): string {
  const head = [
    "suite",
    "model",
    "ep/dtype",
    "T",
    "B",
    "N",
    "setup s",
    "time s",
    "tok/s",
    "samp/s",
    "TFLOP/s",
    "RSS GiB",
    "GPU MiB",
  ];
  const body = rows.map((r) => [
    r.suite,
    r.model,
    `${r.ep}${r.threads === "" ? "" : `(${r.threads})`}/${r.dtype.replace("float", "f")}`,
    String(r.seq_len),
    String(r.batch),
    String(r.samples),
    fmt(r.setup_s, 1),
    fmt(r.time_s, 2),
    fmt(r.tokens_per_s, 0),
    fmt(r.samples_per_s, 3),
    fmt(r.tflop_per_s, 3),
    fmt(r.peak_rss_gib, 2),
    r.peak_gpu_mib === "" ? "-" : String(Math.round(r.peak_gpu_mib)),
  ]);
  return alignTable(head, body);
}

function alignTable(head: string[], body: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

/** ‖a − b‖₂ / ‖b‖₂ (NaN when the lengths differ). */
export function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return NaN;
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num) / Math.sqrt(den);
}

/** One run compared with its reference run. */
export interface Agreement {
  suite: string;
  model: string;
  seq_len: number;
  run: string;
  reference: string;
  /** Relative L2 error of the fingerprints (logits, log-probs, Wanda sums, or y and layer sums). */
  rel_l2: number;
  /** Density: largest |Δcount| / count over layers and thresholds. */
  max_count_rel?: number;
}

/** A labelled run's fingerprints (by sequence length) and density records. */
export interface RunOutputs {
  suite: string;
  model: string;
  ep: string;
  dtype: string;
  fingerprints: Map<number, Float64Array>;
  density: DensityRecord[];
}

/**
 * Compares every run with the reference of its model, suite and length: the cpu float32 run when there is
 * one, else the first float32 run, else the first run.
 */
export function agreements(runs: readonly RunOutputs[]): Agreement[] {
  const out: Agreement[] = [];
  const groups = new Map<string, RunOutputs[]>();
  for (const r of runs) {
    const k = `${r.suite}|${r.model}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  for (const group of groups.values()) {
    const ref = group.find((r) => r.ep === "cpu" && r.dtype === "float32") ??
      group.find((r) => r.dtype === "float32") ?? group[0];
    for (const r of group) {
      if (r === ref) continue;
      for (const [seqLen, fp] of r.fingerprints) {
        const refFp = ref.fingerprints.get(seqLen);
        if (!refFp) continue;
        const a: Agreement = {
          suite: r.suite,
          model: r.model,
          seq_len: seqLen,
          run: `${r.ep}/${r.dtype}`,
          reference: `${ref.ep}/${ref.dtype}`,
          rel_l2: relL2(fp, refFp),
        };
        const d = r.density.find((x) => x.seq_len === seqLen);
        const dr = ref.density.find((x) => x.seq_len === seqLen);
        if (d && dr) a.max_count_rel = maxCountRel(d.counts, dr.counts);
        out.push(a);
      }
    }
  }
  return out;
}

/** Largest |a − b| / max(b, 1) over matching entries of two counts tables. */
export function maxCountRel(a: readonly number[][], b: readonly number[][]): number {
  let worst = 0;
  b.forEach((row, l) =>
    row.forEach((c, g) => {
      worst = Math.max(worst, Math.abs((a[l]?.[g] ?? NaN) - c) / Math.max(c, 1));
    })
  );
  return worst;
}

/** The agreements as a table. */
export function agreementTable(rows: readonly Agreement[]): string {
  return alignTable(
    ["suite", "model", "run vs ref", "T", "rel L2", "max Δcount/count"],
    rows.map((a) => [
      a.suite,
      a.model,
      `${a.run} vs ${a.reference}`,
      String(a.seq_len),
      a.rel_l2.toExponential(2),
      a.max_count_rel === undefined ? "-" : a.max_count_rel.toExponential(2),
    ]),
  );
}
