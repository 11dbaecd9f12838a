import assert from "node:assert/strict";
import { needsMirror } from "../../test/fixtures/mirror.ts";
import { calibrationWindows } from "./calibration.ts";
import { openDataset } from "./load.ts";
import { Pcg32, STREAMS } from "./prng.ts";
import { sampleExamples } from "./sample.ts";
import type { DatasetHandle } from "./load.ts";
import { PAPER_DENSITY_DATASETS } from "./paper_runs.ts";
import { PythonRandom } from "./python_random.ts";
import { perplexityWindows, randomWindows, wandaWindows, windowTokens } from "./windows.ts";
import { docLength, PY_RANDOM } from "../../test/fixtures/python_random/fixtures.ts";
import { byteTokenizer, testMirror } from "../../test/fixtures/datasets.ts";

const OPTS = { mirror: testMirror(), download: false, cache: "/nonexistent" };

Deno.test(
  "sampleExamples: the paper's shuffle-and-cut, ids equal CPython's for the paper's density draw",
  needsMirror,
  async () => {
    const ds = openDataset("piqa", OPTS);
    const a = await sampleExamples(ds, "validation", { n: 64, seed: 1 });
    assert.equal(a.ids.length, 64);
    assert.equal(new Set(a.ids).size, 64);
    const { docs } = await ds.split("validation");
    a.examples.forEach((e, k) => {
      assert.equal(e.id, a.ids[k]);
      assert.equal(e.doc, docs[e.id]);
    });
    assert.deepEqual((await sampleExamples(ds, "validation", { n: 8, seed: 1 })).ids, a.ids.slice(0, 8));
    assert.notDeepEqual((await sampleExamples(ds, "validation", { n: 64, seed: 2 })).ids, a.ids);
    await assert.rejects(
      sampleExamples(ds, "validation", { n: 1839, seed: 1 }),
      /Cannot sample 1839 examples of piqa\/validation: the split has 1838 rows/,
    );
  },
);

Deno.test("sampleExamples chained on one generator: CPython's ids of distribution_draw.py", async () => {
  // A fake handle with the paper's row counts: only the split's length matters to the draw.
  const handle = (name: string) =>
    ({
      spec: { name },
      split: () => Promise.resolve({ docs: Array.from({ length: PY_RANDOM.paper.rows[name] }, () => ({})) }),
    }) as unknown as DatasetHandle;
  const rng = new PythonRandom(1);
  for (const name of PAPER_DENSITY_DATASETS) {
    const got = await sampleExamples(handle(name), "validation", { n: 64, seed: 1, rng });
    assert.deepEqual(got.ids, PY_RANDOM.paper.density[name], name);
  }
});

Deno.test("calibrationWindows: Wanda's get_c4 windows, equal to CPython's (seed 0, 128 × 2048)", () => {
  const [fx] = PY_RANDOM.wanda_c4.filter((w) => w.seed === 0 && w.seqLen === 2048);
  // Document i holds docLength(i) tokens with BOS under the byte tokenizer; documents are made on demand.
  const docs = new Proxy([] as string[], {
    get: (target, key) =>
      key === "length"
        ? fx.docCount
        : typeof key === "string" && /^\d+$/.test(key)
        ? "a".repeat(Math.max(0, docLength(Number(key)) - 1))
        : Reflect.get(target, key),
  });
  const windows = calibrationWindows(docs, byteTokenizer, {
    nsamples: fx.nsamples,
    seqLen: fx.seqLen,
    seed: 0,
  });
  assert.deepEqual(windows.map((w) => [w.doc, w.start]), fx.windows);
  assert(windows.every((w) => w.tokens.length === fx.seqLen));
  assert.throws(
    () => calibrationWindows(["short"], byteTokenizer, { nsamples: 1, seqLen: 40, seed: 0, maxRejects: 10 }),
    /Cannot draw C4 calibration windows: 10 documents drawn in a row have at most 40 tokens/,
  );
});

Deno.test("wandaWindows: Wanda's get_wikitext2 starts, equal to CPython's", () => {
  const [fx] = PY_RANDOM.wanda_wikitext;
  const ids = new Int32Array(fx.tokenCount);
  const w = wandaWindows(ids, { nsamples: fx.nsamples, seqLen: fx.seqLen, seed: fx.seed });
  assert.deepEqual(w.starts, fx.starts);
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
