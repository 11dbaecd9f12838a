import assert from "node:assert/strict";
import { perplexity } from "./perplexity_score.ts";
import { assertThrowsMsg } from "../../../test/fixtures/assert.ts";

Deno.test("perplexity by hand", () => {
  // Two windows, NLLs ln2, ln2 | ln8, ln8: mean = (2 ln2 + 6 ln2)/4 = 2 ln2 → ppl 4.
  const r = perplexity([[Math.LN2, Math.LN2], new Float32Array([Math.log(8), Math.log(8)])]);
  // 1e-6: the second window is float32 (ln 8 rounded to 24 bits, ~1e-7 relative).
  assert.ok(Math.abs(r.ppl - 4) < 1e-6, `${r.ppl}`);
  assert.equal(r.tokens, 4);
  assert.equal(r.windows, 2);
  // Token-weighted, not window-weighted: ln2 | 3 × ln8 → (1 + 9)/4 · ln2 → 2^2.5 (window means would give 4).
  const u = perplexity([[Math.LN2], [3 * Math.LN2, 3 * Math.LN2, 3 * Math.LN2]]);
  assert.ok(Math.abs(u.ppl - 2 ** 2.5) < 1e-12, `${u.ppl}`);
});

Deno.test("perplexity equals the geometric mean of 1/p", () => {
  // Independent route: ppl = (Π 1/p_t)^(1/N) for token probabilities p_t.
  const probs = [[0.5, 0.25, 0.9], [0.01, 0.7], [0.33, 0.125, 0.6, 0.05]];
  let prod = 1;
  let n = 0;
  for (const w of probs) {
    for (const p of w) {
      prod /= p;
      n++;
    }
  }
  const r = perplexity(probs.map((w) => w.map((p) => -Math.log(p))));
  // Tolerance 1e-12 relative: both float64, ~10 roundings each.
  assert.ok(Math.abs(r.ppl / prod ** (1 / n) - 1) < 1e-12);
});

Deno.test("perplexity errors name the problem", () => {
  assertThrowsMsg(() => perplexity([]), "no tokens scored");
  assertThrowsMsg(() => perplexity([[0.1, NaN]]), "window 0, token 1");
});
