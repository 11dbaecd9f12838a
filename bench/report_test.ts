import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
import { agreements, benchCsv, CSV_COLUMNS, maxCountRel, relL2 } from "./report.ts";
import type { BenchRow } from "./suites.ts";

Deno.test("relL2 and maxCountRel", () => {
  assertEquals(relL2([3, 4], [3, 4]), 0);
  assert(Math.abs(relL2([3, 4.5], [3, 4]) - 0.1) < 1e-15);
  assert(Number.isNaN(relL2([1], [1, 2])));
  assertEquals(maxCountRel([[100, 10], [0, 0]], [[99, 10], [0, 1]]), 1);
  assertEquals(maxCountRel([[101]], [[100]]), 0.01);
});

Deno.test("the CSV has the documented columns, numbers to 5 significant digits", () => {
  const row = Object.fromEntries(CSV_COLUMNS.map((c) => [c, 1])) as unknown as BenchRow;
  row.time_s = 1.234567891;
  row.setup_s = "";
  const [head, line] = benchCsv([row]).trim().split("\n");
  assertEquals(head, CSV_COLUMNS.join(","));
  const cells = line.split(",");
  assertEquals(cells[CSV_COLUMNS.indexOf("time_s")], "1.2346");
  assertEquals(cells[CSV_COLUMNS.indexOf("setup_s")], "");
});

Deno.test("agreements compare each run with the cpu float32 run of its suite and model", () => {
  const fp = (v: number[]) => new Map([[8, Float64Array.from(v)]]);
  const rows = agreements([
    { suite: "forward", model: "m", ep: "webgpu", dtype: "float32", fingerprints: fp([1, 2.2]), density: [] },
    { suite: "forward", model: "m", ep: "cpu", dtype: "float32", fingerprints: fp([1, 2]), density: [] },
    { suite: "forward", model: "m", ep: "webgpu", dtype: "float16", fingerprints: fp([1, 2]), density: [] },
    { suite: "forward", model: "other", ep: "cpu", dtype: "float16", fingerprints: fp([5]), density: [] },
  ]);
  assertEquals(rows.map((r) => [r.run, r.reference]), [["webgpu/float32", "cpu/float32"], [
    "webgpu/float16",
    "cpu/float32",
  ]]);
  assert(Math.abs(rows[0].rel_l2 - 0.2 / Math.sqrt(5)) < 1e-12);
  assertEquals(rows[1].rel_l2, 0);
});
