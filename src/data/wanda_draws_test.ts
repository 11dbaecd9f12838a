import assert from "node:assert/strict";
import { docLength, PY_RANDOM } from "../../test/fixtures/python_random/fixtures.ts";
import { PythonRandom } from "./python_random.ts";
import { drawC4Windows, wandaC4Windows, wandaWikitextStarts } from "./wanda_draws.ts";

for (const f of PY_RANDOM.wanda_c4) {
  Deno.test(`wandaC4Windows: Wanda's get_c4 windows under CPython (seed ${f.seed}, seqlen ${f.seqLen})`, () => {
    const windows = wandaC4Windows(f.docCount, docLength, f);
    assert.deepEqual(windows.map((w) => [w.doc, w.start]), f.windows);
  });
}

for (const f of PY_RANDOM.wanda_wikitext) {
  Deno.test(`wandaWikitextStarts: Wanda's get_wikitext2 starts under CPython (seed ${f.seed}, seqlen ${f.seqLen})`, () => {
    assert.deepEqual(wandaWikitextStarts(f.tokenCount, f), f.starts);
  });
}

Deno.test("drawC4Windows asks one length per drawn document and gives up on a corpus of short documents", () => {
  const asked: number[] = [];
  drawC4Windows(new PythonRandom(0), {
    docCount: 100,
    tokenLength: (doc) => (asked.push(doc), doc % 2 ? 50 : 5),
    nsamples: 3,
    seqLen: 10,
  });
  assert.ok(asked.length >= 3 && asked.filter((d) => d % 2).length === 3);
  assert.throws(
    () => wandaC4Windows(10, () => 8, { nsamples: 1, seqLen: 8, seed: 0, maxRejects: 50 }),
    { name: "ActpatError", message: /^Cannot draw C4 calibration windows: 50 documents drawn in a row/ },
  );
  assert.throws(
    () => wandaWikitextStarts(8, { nsamples: 1, seqLen: 8, seed: 0 }),
    /8 tokens leave no window of 8/,
  );
});
