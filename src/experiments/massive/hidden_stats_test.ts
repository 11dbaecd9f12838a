import assert from "node:assert/strict";
import { seededNormal } from "../../../test/reference/tiny_models.ts";
import { hiddenStats, massiveThreshold, PAPER_CRITERION } from "./hidden_stats.ts";

/** Direct computation: sort every |x| (descending for the top, ascending for torch.median's lower median). */
function direct(data: ArrayLike<number>, criterion: { absolute: number; ratio: number }) {
  const abs = Array.from(data, Math.abs);
  const asc = [...abs].sort((a, b) => a - b);
  const median = asc[Math.floor((asc.length - 1) / 2)];
  const desc = [...asc].reverse();
  const threshold = Math.max(criterion.absolute, criterion.ratio * median);
  return { top: desc.slice(0, 3), median, count: abs.filter((x) => x > threshold).length };
}

Deno.test("top-3, lower median and massive count equal a sort of all magnitudes", () => {
  const normal = seededNormal(11);
  for (const [tokens, dims] of [[7, 5], [4, 6], [1, 8], [33, 17]]) {
    for (const Arr of [Float32Array, Float64Array]) {
      const data = new Arr(tokens * dims);
      for (let i = 0; i < data.length; i++) data[i] = normal() * 3;
      // Plant two large entries of opposite sign so the criterion selects exactly them.
      data[2] = 500;
      data[data.length - 1] = -800;
      const criterion = { absolute: 100, ratio: 10 };
      const s = hiddenStats(data, tokens, dims, { topK: 3, criterion });
      const want = direct(data, criterion);
      // Exact: the same float values are compared and picked, nothing is summed.
      assert.deepEqual(s.top.map((a) => Math.abs(a.value)), want.top);
      assert.equal(s.median, want.median);
      assert.equal(s.massiveCount, want.count);
      assert.equal(s.massiveCount, 2);
      assert.deepEqual(s.massive, [
        { position: tokens - 1, dimension: dims - 1, value: -800 },
        { position: 0, dimension: 2, value: 500 },
      ]);
      // Locations point back at the values.
      for (const a of s.top) assert.equal(data[a.position * dims + a.dimension], a.value);
      assert.equal(s.top[0].value, -800);
    }
  }
});

Deno.test("the median of an even count is the lower middle value (torch.median), not the average", () => {
  const s = hiddenStats(new Float64Array([1, -4, 3, 2]), 2, 2, { topK: 3, criterion: PAPER_CRITERION });
  assert.equal(s.median, 2);
  assert.deepEqual(s.top.map((a) => a.value), [-4, 3, 2]);
  assert.equal(s.massiveCount, 0);
});

Deno.test("massive needs both thresholds, strictly", () => {
  // median |x| = 0.1: ratio 1000 → 100 = absolute; 100 itself is not massive, 100.5 is.
  const data = new Float64Array(9).fill(0.1);
  data[0] = 100;
  data[1] = 100.5;
  data[2] = -150;
  const s = hiddenStats(data, 3, 3, { topK: 3, criterion: PAPER_CRITERION });
  assert.equal(massiveThreshold(PAPER_CRITERION, s.median), 100);
  assert.equal(s.massiveCount, 2);
  // With a larger median the ratio rule binds: median 0.2 → 200; nothing qualifies.
  data.fill(0.2, 3);
  const t = hiddenStats(data, 3, 3, { topK: 3, criterion: PAPER_CRITERION });
  assert.equal(t.median, 0.2);
  assert.equal(t.massiveCount, 0);
});

Deno.test("massive entries are all counted but only the largest kept", () => {
  const data = new Float32Array(2000);
  for (let i = 0; i < data.length; i++) data[i] = i % 2 === 0 ? 1 + i : 0;
  const s = hiddenStats(data, 40, 50, { topK: 3, criterion: { absolute: 0, ratio: 0 }, maxMassive: 5 });
  assert.equal(s.massiveCount, 1000);
  assert.deepEqual(s.massive.map((a) => a.value), [1999, 1997, 1995, 1993, 1991]);
});

Deno.test("hidden-state statistics reject NaN and wrong sizes", () => {
  assert.throws(
    () => hiddenStats(new Float32Array([1, NaN, 2, 3]), 2, 2, { topK: 3, criterion: PAPER_CRITERION }),
    /Cannot compute hidden-state statistics: entry \(token 0, dim 1\) is NaN/,
  );
  assert.throws(
    () => hiddenStats(new Float32Array(5), 2, 2, { topK: 3, criterion: PAPER_CRITERION }),
    /5 values for 2 tokens × 2 dims/,
  );
});
