import assert from "node:assert/strict";
import { needsMirror } from "../../test/fixtures/mirror.ts";
import { calibrationWindows } from "./calibration.ts";
import { openDataset } from "./load.ts";
import { Pcg32, STREAMS } from "./prng.ts";
import { sampleExamples } from "./sample.ts";
import { perplexityWindows, randomWindows, windowTokens } from "./windows.ts";
import { byteTokenizer, testMirror } from "../../test/fixtures/datasets.ts";

const OPTS = { mirror: testMirror(), download: false, cache: "/nonexistent" };

Deno.test(
  "sampleExamples: seeded, distinct, the exact ids returned with their docs",
  needsMirror,
  async () => {
    const ds = openDataset("piqa", OPTS);
    const a = await sampleExamples(ds, "validation", 64, 1);
    assert.equal(a.ids.length, 64);
    assert.equal(new Set(a.ids).size, 64);
    assert.ok(a.ids.every((i) => i >= 0 && i < 1838));
    const { docs } = await ds.split("validation");
    a.examples.forEach((e, k) => {
      assert.equal(e.id, a.ids[k]);
      assert.equal(e.doc, docs[e.id]);
    });
    // Independent replay of the documented algorithm: Fisher–Yates over 0..n-1 with PCG32(seed, stream 1).
    const rng = new Pcg32(1, STREAMS.examples);
    const perm = Array.from({ length: 1838 }, (_, i) => i);
    const replay: number[] = [];
    for (let i = 0; i < 64; i++) {
      const j = i + rng.bounded(1838 - i);
      [perm[i], perm[j]] = [perm[j], perm[i]];
      replay.push(perm[i]);
    }
    assert.deepEqual(a.ids, replay);
    assert.deepEqual((await sampleExamples(ds, "validation", 64, 1)).ids, a.ids);
    assert.notDeepEqual((await sampleExamples(ds, "validation", 64, 2)).ids, a.ids);
    assert.deepEqual((await sampleExamples(ds, "validation", 8, 1)).ids, a.ids.slice(0, 8));
    await assert.rejects(
      sampleExamples(ds, "validation", 1839, 1),
      /Cannot sample 1839 examples of piqa\/validation: the split has 1838 rows/,
    );
  },
);

Deno.test("calibrationWindows: Wanda's get_c4 draws, replayed independently", () => {
  const docs = Array.from({ length: 50 }, (_, i) => `doc ${i}: ` + "abcdefghij".repeat(i % 7));
  const seqLen = 40;
  const windows = calibrationWindows(docs, byteTokenizer, { nsamples: 16, seqLen, seed: 0 });
  // Replay: randint(0, len(docs)-1) until the tokenization (with BOS) is longer than seqLen, then
  // randint(0, len - seqLen - 1) for the start.
  const rng = new Pcg32(0, STREAMS.calibration);
  for (const w of windows) {
    let doc: number;
    let ids: number[];
    do {
      doc = rng.randint(0, docs.length - 1);
      ids = byteTokenizer.encode(docs[doc], { addBos: true });
    } while (ids.length <= seqLen);
    const start = rng.randint(0, ids.length - seqLen - 1);
    assert.deepEqual(w, { doc, start, tokens: ids.slice(start, start + seqLen) });
    assert.equal(w.tokens.length, seqLen);
  }
  assert.equal(windows.length, 16);
  assert.deepEqual(calibrationWindows(docs, byteTokenizer, { nsamples: 16, seqLen, seed: 0 }), windows);
  assert.throws(
    () => calibrationWindows(["short"], byteTokenizer, { nsamples: 1, seqLen: 40, seed: 0, maxRejects: 10 }),
    /Cannot sample calibration windows: 10 documents drawn in a row have at most 40 tokens/,
  );
});

Deno.test("perplexityWindows: rows joined with '\\n\\n', tokenized once with BOS, tail dropped", () => {
  const rows = ["", " = T = \n", "", " abc .\n"];
  const w = perplexityWindows(rows, byteTokenizer, 4);
  const joined = "\n\n = T = \n\n\n\n\n abc .\n";
  const ids = byteTokenizer.encode(joined, { addBos: true });
  assert.deepEqual([...w.ids], ids);
  assert.equal(w.starts.length, Math.floor(ids.length / 4));
  assert.deepEqual(w.starts, Array.from({ length: w.starts.length }, (_, i) => 4 * i));
  assert.deepEqual([...windowTokens(w, 1)], ids.slice(4, 8));
  assert.throws(() => perplexityWindows(["a"], byteTokenizer, 8), /fewer than seqLen 8/);
});

Deno.test(
  "perplexityWindows on the mirror's WikiText-2 test split covers the joined text",
  needsMirror,
  async () => {
    const { docs } = await openDataset("wikitext2", OPTS).split("test");
    const rows = docs.map((d) => d.text as string);
    const w = perplexityWindows(rows, byteTokenizer, 2048);
    // Bytes of the joined text + BOS; the join is the Wanda/SparseGPT evaluation text.
    const n = new TextEncoder().encode(rows.join("\n\n")).length + 1;
    assert.equal(w.ids.length, n);
    assert.equal(w.starts.length, Math.floor(n / 2048));
  },
);

Deno.test("randomWindows: starts uniform in [0, n - seqLen - 1] from PCG32(seed, stream 3)", () => {
  const ids = Int32Array.from({ length: 100 }, (_, i) => i);
  const w = randomWindows(ids, { nsamples: 200, seqLen: 10, seed: 5 });
  const rng = new Pcg32(5, STREAMS.windows);
  assert.deepEqual(w.starts, Array.from({ length: 200 }, () => rng.randint(0, 89)));
  assert.equal(Math.min(...w.starts) >= 0 && Math.max(...w.starts) <= 89, true);
  assert.deepEqual([...windowTokens(w, 0)], Array.from({ length: 10 }, (_, i) => w.starts[0] + i));
});
