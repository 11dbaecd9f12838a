import assert from "node:assert/strict";
import { SeededNormal } from "./_random.ts";

Deno.test("SeededNormal draws normal(0, std): moments and tail mass match the normal distribution", () => {
  const n = 1 << 20;
  const x = new SeededNormal(7, "w", 0.02).fill(new Float32Array(n));
  let s = 0, s2 = 0, s4 = 0, within1 = 0, beyond3 = 0;
  for (const v of x) {
    const z = v / 0.02;
    s += z;
    s2 += z * z;
    s4 += z ** 4;
    if (Math.abs(z) < 1) within1++;
    if (Math.abs(z) > 3) beyond3++;
  }
  // Tolerances are 5 standard errors at n = 2^20: mean 1/√n ≈ 0.001; variance √(2/n) ≈ 0.0014; kurtosis
  // √(96/n) ≈ 0.0096; P(|z|<1) = 0.6827 with SE √(p(1-p)/n) ≈ 0.00045; P(|z|>3) = 0.0027 with SE ≈ 0.00005.
  assert.ok(Math.abs(s / n) < 0.005, `mean ${s / n}`);
  assert.ok(Math.abs(s2 / n - 1) < 0.007, `variance ${s2 / n}`);
  assert.ok(Math.abs(s4 / n - 3) < 0.05, `kurtosis ${s4 / n}`);
  assert.ok(Math.abs(within1 / n - 0.682689) < 0.0023, `P(|z|<1) ${within1 / n}`);
  assert.ok(Math.abs(beyond3 / n - 0.0026998) < 0.00026, `P(|z|>3) ${beyond3 / n}`);
});

Deno.test("SeededNormal is reproducible per (seed, key) and independent of chunking", () => {
  const whole = new SeededNormal(1, "a", 1).fill(new Float32Array(1000));
  const g = new SeededNormal(1, "a", 1);
  const parts = [g.fill(new Float32Array(333)), g.fill(new Float32Array(667))];
  assert.deepEqual(new Float32Array([...parts[0], ...parts[1]]), whole);
  assert.notDeepEqual(new SeededNormal(2, "a", 1).fill(new Float32Array(10)), whole.slice(0, 10));
  assert.notDeepEqual(new SeededNormal(1, "b", 1).fill(new Float32Array(10)), whole.slice(0, 10));
});
