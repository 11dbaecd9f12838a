import assert from "node:assert/strict";
import { join } from "node:path";
import {
  analysisSequences,
  corpusAvailability,
  corpusRecipe,
  loadCorpus,
  perplexityTokens,
  REFERENCE_CORPORA,
} from "./corpus.ts";
import { MIRROR, needsMirror } from "../../../test/fixtures/mirror.ts";
import { writeParquet } from "../../../test/fixtures/datasets.ts";

/** UTF-8 bytes + 3, BOS = 1: fast enough to tokenize all of WikiText-2 test in a test. */
const bytes = {
  bosTokenId: 1,
  encode(text: string, options: { addBos?: boolean } = {}): number[] {
    const ids = [...new TextEncoder().encode(text)].map((b) => b + 3);
    return options.addBos ? [1, ...ids] : ids;
  },
};

Deno.test(
  "WikiText-2 from the mirror: perplexity windows and seeded analysis windows of one stream",
  needsMirror,
  async () => {
    const corpus = await loadCorpus("wikitext2", bytes, 64, { mirror: MIRROR, download: false });
    const { ids, starts } = corpus.windows;
    // The raw test file is 1,290,590 bytes; joined rows add nothing (each row keeps its "\n").
    assert.equal(corpus.loaded.files[0].bytes, 1290590);
    assert.equal(ids[0], 1);
    assert.equal(corpus.bodyStart, 1);
    assert.equal(starts.length, Math.floor(ids.length / 64));
    const windows = perplexityTokens(corpus, 3);
    assert.equal(windows.length, 3);
    assert.deepEqual(windows[1], Array.from(ids.subarray(64, 128)));

    const a = analysisSequences(corpus, { sequences: 5, seqLen: 32, seed: 7 });
    const again = analysisSequences(corpus, { sequences: 5, seqLen: 32, seed: 7 });
    const other = analysisSequences(corpus, { sequences: 5, seqLen: 32, seed: 8 });
    assert.deepEqual(a, again);
    assert.notDeepEqual(a.starts, other.starts);
    a.sequences.forEach((s, i) => {
      assert.equal(s.length, 32);
      assert(a.starts[i] >= 1, "analysis windows never include the stream's BOS");
      assert.deepEqual(s, Array.from(ids.subarray(a.starts[i], a.starts[i] + 32)));
    });
    // With --bos: BOS, then seqLen − 1 corpus tokens from the same seeded stream.
    const b = analysisSequences(corpus, { sequences: 5, seqLen: 32, seed: 7, bos: 1 });
    b.sequences.forEach((s, i) => {
      assert.equal(s.length, 32);
      assert.equal(s[0], 1);
      assert.deepEqual(s.slice(1), Array.from(ids.subarray(b.starts[i], b.starts[i] + 31)));
    });
    assert.throws(
      () => analysisSequences(corpus, { sequences: 1, seqLen: ids.length, seed: 0 }),
      /Cannot sample windows of wikitext2: .* use a shorter --seq-len/,
    );
  },
);

Deno.test("C4 validation: the first 1100 documents joined with ' ', at most 256 windows; missing is detectable", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const docs = Array.from({ length: 1102 }, (_, i) => ({ text: `d${i}`, timestamp: "t", url: "u" }));
    const dir = join(tmp, "mirror", "datasets", "c4", "en");
    await Deno.mkdir(dir, { recursive: true });
    const text = docs.map((d) => JSON.stringify(d)).join("\n") + "\n";
    const gz = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
    await Deno.writeFile(
      join(dir, "c4-validation.00000-of-00008.json.gz"),
      new Uint8Array(await new Response(gz).arrayBuffer()),
    );
    const opts = {
      mirror: join(tmp, "mirror"),
      cache: join(tmp, "cache"),
      download: false,
      strictRows: false,
    };
    const corpus = await loadCorpus("c4", bytes, 3, opts);
    const joined = docs.slice(0, 1100).map((d) => d.text).join(" ");
    assert.deepEqual(Array.from(corpus.windows.ids), bytes.encode(joined, { addBos: true }));
    assert.equal(corpus.windows.starts.length, 256);
    assert.equal(await corpusAvailability("c4", opts), "mirror");
    const empty = { mirror: join(tmp, "none"), cache: join(tmp, "none"), download: false };
    assert.equal(await corpusAvailability("c4", empty), "downloadable");
    await assert.rejects(loadCorpus("c4", bytes, 3, empty), /Cannot load dataset "c4"/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test(
  "reference protocol: WikiText-2 without BOS (get_wikitext, add_special_tokens=False), all windows",
  needsMirror,
  async () => {
    const wanda = await loadCorpus("wikitext2", bytes, 64, { mirror: MIRROR, download: false });
    const ref = await loadCorpus(
      "wikitext2",
      bytes,
      64,
      { mirror: MIRROR, download: false },
      undefined,
      "reference",
    );
    assert.equal(ref.windows.ids[0], wanda.windows.ids[1]);
    assert.deepEqual(ref.windows.ids, wanda.windows.ids.subarray(1));
    assert.equal(ref.bodyStart, 0);
    assert.equal(ref.windows.starts.length, Math.floor(ref.windows.ids.length / 64));
    assert.match(ref.about, /massive-activations get_wikitext/);
  },
);

Deno.test("pg19 (reference get_pg19): first 5 validation books joined with ' ', BOS first, at most 100 windows", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const books = Array.from({ length: 7 }, (_, i) => `Book ${i}: ` + "word ".repeat(40 + i));
    const file = join(tmp, "mirror", "datasets", "pg19", "default", "partial-validation", "0000.parquet");
    await Deno.mkdir(join(file, ".."), { recursive: true });
    await writeParquet(file, [
      { name: "short_book_title", data: books.map((_, i) => `t${i}`), type: "STRING" },
      { name: "publication_date", data: books.map((_, i) => 1800 + i), type: "INT32" },
      { name: "url", data: books.map((_, i) => `http://www.gutenberg.org/ebooks/${i}`), type: "STRING" },
      { name: "text", data: books, type: "STRING" },
    ]);
    const opts = {
      mirror: join(tmp, "mirror"),
      cache: join(tmp, "cache"),
      download: false,
      strictRows: false,
    };
    for (const protocol of ["wanda", "reference"] as const) {
      const corpus = await loadCorpus("pg19", bytes, 2, opts, undefined, protocol);
      assert.deepEqual(
        Array.from(corpus.windows.ids),
        bytes.encode(books.slice(0, 5).join(" "), { addBos: true }),
      );
      assert.equal(
        corpus.windows.starts.length,
        100,
        "the stream holds more than 100 windows of 2: 100 are cut",
      );
      assert.deepEqual(corpus.windows.starts.slice(0, 3), [0, 2, 4]);
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("c4-10k (reference get_c4): train, first 5000 documents joined with ' ', at most 100 windows", () => {
  const recipe = corpusRecipe("c4-10k", "reference");
  assert.equal(recipe.split, "train");
  assert.equal(recipe.maxWindows, 100);
  assert.notEqual(recipe.bos, false);
  const docs = Array.from({ length: 5002 }, (_, i) => `c${i}`);
  assert.deepEqual(recipe.texts(docs), [docs.slice(0, 5000).join(" ")]);
  assert.deepEqual(REFERENCE_CORPORA, ["wikitext2", "c4-10k", "pg19"]);
});

Deno.test("only the perplexity corpora are accepted", () => {
  assert.throws(
    () => corpusRecipe("boolq"),
    /Cannot parse --corpus: "boolq" is not a perplexity corpus .*wikitext2, c4/,
  );
});

Deno.test("a corpus read from another split: the embedded WikiText-2 piece, said so in its description", async () => {
  const cache = await Deno.makeTempDir({ prefix: "actpat_corpus_" });
  try {
    const options = { mirror: null, cache, download: false };
    assert.equal(await corpusAvailability("wikitext2", options, "test-first200"), "embedded");
    const corpus = await loadCorpus("wikitext2", bytes, 64, options, "test-first200");
    assert.equal(corpus.loaded.split, "test-first200");
    assert.equal(corpus.loaded.docs.length, 200);
    assert.match(corpus.about, /; read from split test-first200$/);
    // Its 200 lines, each kept with its "\n" and blank ones as "", joined with "\n\n": bytes + BOS.
    const text = corpus.loaded.docs.map((d) => d.text as string).join("\n\n");
    assert.equal(corpus.windows.ids.length, 1 + new TextEncoder().encode(text).length);
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
});
