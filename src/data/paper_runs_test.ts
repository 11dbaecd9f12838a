import assert from "node:assert/strict";
import { docLength, PY_RANDOM } from "../../test/fixtures/python_random/fixtures.ts";
import type { PaperSource } from "./paper_draws.ts";
import {
  paperCalibrationRows,
  paperDensityRows,
  paperSimilarityDraws,
  paperStsRows,
  paperZeroShotRows,
} from "./paper_runs.ts";

const { paper } = PY_RANDOM;
const rows = paper.rows as Parameters<typeof paperDensityRows>[0] & Parameters<typeof paperZeroShotRows>[0];

function source(name: string): PaperSource {
  if (name === "c4") return { docCount: paper.c4DocCount, tokenLength: docLength };
  if (name === "wikitext2") return { tokenCount: paper.wikitextTokens };
  return { rows: paper.rows[name] };
}

for (const f of paper.similarity) {
  Deno.test(`paperSimilarityDraws(${f.s1}, ${f.s2}): llm_test_grad.py's pairs, as CPython`, () => {
    const draws = paperSimilarityDraws({ name: f.s1, source: source(f.s1) }, {
      name: f.s2,
      source: source(f.s2),
    });
    assert.deepEqual(draws, { first: f.first, second: f.second });
  });
}

Deno.test("paperDensityRows: distribution_draw.py's five datasets on one generator seeded 1, as CPython", () => {
  assert.deepEqual(paperDensityRows(rows), paper.density);
});

for (const f of paper.sts) {
  Deno.test(`paperStsRows(${f.name}): llama_sts.py's 256 pairs, as CPython`, () => {
    assert.deepEqual(paperStsRows(f.name, f.rows), f.ids);
  });
}

for (const f of paper.zeroShot) {
  Deno.test(`paperZeroShotRows: eval_one_shot's 256 examples per task after eval_ppl (seqlen ${f.seqLen}, ${f.wikitextTrainTokens} tokens)`, () => {
    assert.deepEqual(paperZeroShotRows(f.rows as typeof rows, f), f.ids);
  });
}

for (const f of paper.calibration) {
  Deno.test(`paperCalibrationRows: a task calibration's rows (${f.rows} rows, seed ${f.seed}), as CPython`, () => {
    assert.deepEqual(paperCalibrationRows(f.rows, f), f.ids);
  });
}
