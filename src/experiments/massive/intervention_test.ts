import assert from "node:assert/strict";
import { seededNormal } from "../../../test/reference/tiny_models.ts";
import { type HiddenStats, hiddenStats } from "./hidden_stats.ts";
import { applyIntervention, interventionPlan } from "./intervention.ts";

const a = (position: number, dimension: number, value: number) => ({ position, dimension, value });

Deno.test("the plan averages massive values per dimension, first token apart from later tokens", () => {
  const s = (massive: ReturnType<typeof a>[]): HiddenStats => ({
    top: massive,
    median: 0.1,
    massiveCount: massive.length,
    massive,
  });
  const stats = [[s([]), s([a(0, 3, 10)])], [s([]), s([a(0, 3, 12), a(1, 2, -6), a(5, 3, 40)])]];
  const criterion = { absolute: 5, ratio: 0 };
  assert.equal(interventionPlan(stats, 0, criterion), null);
  assert.deepEqual(interventionPlan(stats, 1, criterion), {
    layer: 1,
    criterion,
    sites: [
      { dimension: 2, first: null, other: -6, all: -6, count: 1 },
      { dimension: 3, first: 11, other: 40, all: 62 / 3, count: 3 },
    ],
  });
});

Deno.test("zero and mean replace exactly the planned dimensions' entries that meet the criterion", () => {
  const plan = {
    layer: 0,
    criterion: { absolute: 5, ratio: 0 },
    sites: [
      { dimension: 2, first: null, other: -6, all: -6, count: 1 },
      { dimension: 3, first: 11, other: null, all: 11, count: 2 },
    ],
  };
  // 3 tokens × 4 dims.
  const base = new Float64Array([
    0,
    0,
    1,
    20, // token 0: d3 massive → first mean 11
    50,
    0,
    -7,
    1, // token 1: d0 is large but not planned; d2 massive → other mean −6
    0,
    0,
    4,
    -30, // token 2: d2 below 5 stays; d3 massive, no "other" mean → overall mean 11
  ]);
  const mean = base.slice();
  assert.equal(applyIntervention(mean, 3, 4, plan, "mean"), 3);
  assert.deepEqual([...mean], [0, 0, 1, 11, 50, 0, -6, 1, 0, 0, 4, 11]);
  const zero = base.slice();
  assert.equal(applyIntervention(zero, 3, 4, plan, "zero"), 3);
  assert.deepEqual([...zero], [0, 0, 1, 0, 50, 0, 0, 1, 0, 0, 4, 0]);
  // The ratio rule uses each window's own median: median |x| = 1 here, ratio 10 → threshold 10.
  const window = new Float64Array([1, 1, 9, 11, 1, 1, 1, 1, 1, 1, 1, 1]);
  const ratioPlan = { ...plan, criterion: { absolute: 0, ratio: 10 } };
  assert.equal(applyIntervention(window, 3, 4, ratioPlan, "zero"), 1);
  assert.deepEqual([...window.subarray(0, 4)], [1, 1, 9, 0]);
  assert.throws(
    () =>
      applyIntervention(
        new Float64Array(4),
        1,
        4,
        { ...plan, sites: [{ ...plan.sites[0], dimension: 4 }] },
        "zero",
      ),
    /dimension 4 is outside \[0, 4\)/,
  );
});

Deno.test("setting massive values to their mean changes nothing when every sequence is the same", () => {
  const normal = seededNormal(3);
  const data = Float32Array.from({ length: 6 * 8 }, () => normal());
  data[0 * 8 + 5] = 300.25;
  data[3 * 8 + 5] = -412.5;
  data[4 * 8 + 1] = 0.1 + 250;
  const criterion = { absolute: 100, ratio: 20 };
  const one = hiddenStats(data, 6, 8, { topK: 3, criterion });
  const plan = interventionPlan([[one], [one], [one]], 0, criterion)!;
  assert.equal(plan.sites.length, 2);
  const edited = data.slice();
  assert.equal(applyIntervention(edited, 6, 8, plan, "mean"), 3);
  // float32 values averaged in float64 over identical copies are exact: bit-for-bit unchanged.
  assert.deepEqual(edited, data);
});
