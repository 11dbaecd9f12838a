import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Pcg32 } from "../data/prng.ts";
import { compareTables, type Table } from "./compare.ts";
import { readCsvTable } from "./csv.ts";
import { histogramDistance } from "./_compare_histogram.ts";
import { loadTolerances, type Tolerances } from "./tolerances.ts";

const tolerances = await loadTolerances();
const BASELINE_HISTOGRAM = fileURLToPath(
  new URL("../../results/baseline-stories260K/01-density/density_histogram.csv", import.meta.url),
);

/** Independent: expand both histograms into sorted bin lists and pair them up value by value. */
function bySortedValues(a: Map<number, number>, b: Map<number, number>) {
  const expand = (h: Map<number, number>) =>
    [...h.entries()].sort((x, y) => x[0] - y[0]).flatMap(([bin, c]) => Array(c).fill(bin) as number[]);
  const va = expand(a);
  const vb = expand(b);
  assert.equal(va.length, vb.length);
  const shifts = va.map((x, i) => Math.abs(x - vb[i]));
  return { emd: shifts.reduce((s, x) => s + x, 0), maxShift: Math.max(0, ...shifts) };
}

Deno.test("histogramDistance: earth mover's distance and largest shift equal those of the sorted values", () => {
  const rng = new Pcg32(3n, 5n);
  const draw = (n: number) => rng.nextUint32() % n;
  for (let trial = 0; trial < 200; trial++) {
    const a = new Map<number, number>();
    const b = new Map<number, number>();
    const values = 1 + draw(60);
    for (let i = 0; i < values; i++) {
      const bin = draw(12);
      a.set(bin, (a.get(bin) ?? 0) + 1);
      const moved = Math.max(0, bin + draw(5) - 2);
      b.set(moved, (b.get(moved) ?? 0) + 1);
    }
    assert.deepEqual(histogramDistance(a, b), bySortedValues(a, b), `trial ${trial}`);
  }
  assert.deepEqual(histogramDistance(new Map([[3, 2]]), new Map([[3, 2]])), { emd: 0, maxShift: 0 });
  // Two values from bin 3 to bin 7: each moved 4 bins.
  assert.deepEqual(histogramDistance(new Map([[3, 2]]), new Map([[7, 2]])), { emd: 8, maxShift: 4 });
});

/** `table` with `n` values of group `where` moved from their bin to `bin + by` (rows added and dropped as needed). */
function move(table: Table, moves: { row: number; by: number; n?: number }[]): Table {
  const t = structuredClone(table);
  const h = (c: string) => t.header.indexOf(c);
  for (const { row, by, n = 1 } of moves) {
    const src = t.rows[row];
    const key = [h("dataset"), h("layer"), h("module")].map((i) => src[i]).join("|");
    const bin = Number(src[h("bin")]) + by;
    assert.ok(Number(src[h("count")]) >= n, "enough values in the bin");
    src[h("count")] = String(Number(src[h("count")]) - n);
    const dst = t.rows.find((r) =>
      [h("dataset"), h("layer"), h("module")].map((i) => r[i]).join("|") === key &&
      Number(r[h("bin")]) === bin
    );
    if (dst) dst[h("count")] = String(Number(dst[h("count")]) + n);
    else {
      // A bin the reference left out (count 0): its edges are those of the same bin in any other group.
      const like = t.rows.find((r) => Number(r[h("bin")]) === bin)!;
      const fresh = [...src];
      fresh[h("bin")] = String(bin);
      fresh[h("lower")] = like[h("lower")];
      fresh[h("upper")] = like[h("upper")];
      fresh[h("count")] = String(n);
      t.rows.push(fresh);
    }
  }
  t.rows = t.rows.filter((r) => r[h("count")] !== "0");
  return t;
}

const failing = (t: Tolerances, a: Table, b: Table) =>
  compareTables("01-density/density_histogram.csv", a, b, t).cells.filter((c) =>
    !["ok", "added"].includes(c.status)
  );

Deno.test("histogram compare: ±1 moves across neighbouring bins compare clean; cell by cell they would not", async () => {
  const base = await readCsvTable(BASELINE_HISTOGRAM);
  // Fourteen values, each across one edge in a different group, as on an AMD host: some into bins the
  // reference left empty, some emptying a bin the reference had.
  const col = (c: string) => base.header.indexOf(c);
  const groupOf = (r: string[]) => [col("dataset"), col("layer"), col("module")].map((i) => r[i]).join("|");
  const used = new Set<string>();
  const pick = (ok: (count: number) => boolean, by: number, n: number) =>
    base.rows.flatMap((r, row) => {
      if (used.size >= n || used.has(groupOf(r)) || !ok(Number(r[col("count")]))) return [];
      used.add(groupOf(r));
      return [{ row, by }];
    });
  const singles = pick((c) => c === 1, 1, 7);
  const others = pick((c) => c > 3, -1, 14);
  assert.equal(singles.length + others.length, 14);
  const jittered = move(base, [...singles, ...others]);
  assert.notDeepEqual(jittered.rows, base.rows);
  assert.deepEqual(failing(tolerances, base, jittered), []);
  assert.deepEqual(failing(tolerances, jittered, base), []);
  // The same files compared cell by cell (no histogram rule) fail: the reason for the rule.
  const cellwise: Tolerances = { ...tolerances, rules: tolerances.rules.filter((r) => !r.histogram) };
  assert.ok(failing(cellwise, base, jittered).length >= 14);
});

Deno.test("histogram compare: a value moved two bins, many values moved one, or a lost value are caught", async () => {
  const base = await readCsvTable(BASELINE_HISTOGRAM);
  const col = (c: string) => base.header.indexOf(c);
  const big = base.rows.findIndex((r) => Number(r[col("count")]) >= 200);
  assert.ok(big >= 0);
  const group = (i: number) =>
    `dataset=${base.rows[i][col("dataset")]};layer=${base.rows[i][col("layer")]};module=${
      base.rows[i][col("module")]
    }`;

  // The top value of a group two bins further up, past every bin the group has: a shift of 2.
  const top = base.rows.reduce(
    (best, r, i) =>
      groupOfRow(base, i) === groupOfRow(base, big) &&
        Number(r[col("bin")]) > Number(base.rows[best][col("bin")])
        ? i
        : best,
    big,
  );
  const far = failing(tolerances, base, move(base, [{ row: top, by: 2 }]));
  assert.deepEqual(far.map((c) => [c.key, c.column, c.b]), [[group(big), "count:max_shift", "2"]]);

  // A real change of the kind a perturbed checkpoint makes: a hundred values of one group up one bin.
  const many = failing(tolerances, base, move(base, [{ row: big, by: 1, n: 100 }]));
  assert.deepEqual(many.map((c) => [c.key, c.column, c.status]), [[group(big), "count:moved", "beyond"]]);
  assert.equal(many[0].b, "100");

  const lost = structuredClone(base);
  lost.rows[big][col("count")] = String(Number(lost.rows[big][col("count")]) - 1);
  const n = total(base, group(big));
  assert.deepEqual(failing(tolerances, base, lost).map((c) => [c.column, c.a, c.b]), [
    ["count:total", String(n), String(n - 1)],
  ]);

  const gone = structuredClone(base);
  gone.rows = gone.rows.filter((r) => r[col("dataset")] !== "boolq");
  assert.ok(
    failing(tolerances, base, gone).every((c) => c.status === "missing" && c.key.startsWith("dataset=boolq")),
  );

  // Different bin edges for the same bin index: the runs did not bin alike.
  const edges = structuredClone(base);
  edges.rows[big][col("upper")] = "12345";
  assert.deepEqual(failing(tolerances, base, edges).map((c) => c.status), ["changed"]);
});

function groupOfRow(t: Table, i: number): string {
  const col = (c: string) => t.header.indexOf(c);
  return ["dataset", "layer", "module"].map((c) => t.rows[i][col(c)]).join("|");
}

function total(t: Table, group: string): number {
  const col = (c: string) => t.header.indexOf(c);
  return t.rows.filter((r) =>
    `dataset=${r[col("dataset")]};layer=${r[col("layer")]};module=${r[col("module")]}` === group
  )
    .reduce((s, r) => s + Number(r[col("count")]), 0);
}

Deno.test("tolerances: a histogram rule must name its file and no column", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/t.json`;
  await Deno.writeTextFile(
    path,
    JSON.stringify({
      default: { abs: 0, rel: 0, why: "x" },
      rules: [{
        column: "count",
        histogram: { groupBy: ["g"], bin: "bin", count: "count", maxShift: 1 },
        abs: 0,
        rel: 0,
        why: "y",
      }],
    }),
  );
  await assert.rejects(
    loadTolerances(path),
    /rules\.0: a histogram rule names a file and no column or where/,
  );
});
