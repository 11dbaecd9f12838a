import assert from "node:assert/strict";
import { needsMirror } from "../../test/fixtures/mirror.ts";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { loadSplit, openDataset } from "./load.ts";
import { DATASETS } from "./registry.ts";
import { parseDataFile } from "./formats.ts";
import { testMirror, writeGzip, writeParquet } from "../../test/fixtures/datasets.ts";

/** Official split sizes (the papers' and the hub's dataset cards), written out independently of the registry. */
const OFFICIAL: [string, string, number][] = [
  ["boolq", "validation", 3270],
  ["piqa", "validation", 1838],
  ["siqa", "validation", 1954],
  ["mmlu", "dev", 285],
  ["mmlu", "validation", 1531],
  ["mmlu", "test", 14042],
  ["gsm8k", "train", 7473],
  ["gsm8k", "test", 1319],
  ["stsb", "train", 5749],
  ["stsb", "validation", 1500],
  ["sick", "train", 4500],
  ["sick", "validation", 500],
  ["wikitext2", "test", 4358],
  ["humaneval", "test", 164],
];

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "actpat-data-" });
}

Deno.test("mirrored splits load with the official row counts and checked sha256", needsMirror, async () => {
  const cache = await tempDir();
  try {
    for (const [name, split, rows] of OFFICIAL) {
      const loaded = await loadSplit(name, split, {
        mirror: testMirror(),
        embedded: null,
        cache,
        download: false,
      });
      assert.equal(loaded.docs.length, rows, `${name}/${split}`);
      assert.equal(loaded.officialRows, rows, `${name}/${split}`);
      assert.equal(loaded.origin, "publisher");
      for (const f of loaded.files) {
        assert.equal(f.from, "mirror");
        assert.match(f.sha256, /^[0-9a-f]{64}$/);
        const known = DATASETS.get(name).splits[split].sources[0].files.find((x) => x.file === f.file)
          ?.sha256;
        assert.equal(f.sha256, known, `${name}/${f.file}`);
      }
    }
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
});

Deno.test(
  "mirrored docs carry the publishers' labels (counts from the mirror's SOURCE.md)",
  needsMirror,
  async () => {
    const opts = { mirror: testMirror(), download: false, cache: "/nonexistent" };
    const count = (xs: unknown[]) =>
      xs.reduce<Record<string, number>>((m, x) => ({ ...m, [String(x)]: (m[String(x)] ?? 0) + 1 }), {});
    assert.deepEqual(count((await loadSplit("boolq", "validation", opts)).docs.map((d) => d.label)), {
      0: 1237,
      1: 2033,
    });
    assert.deepEqual(count((await loadSplit("piqa", "validation", opts)).docs.map((d) => d.label)), {
      0: 910,
      1: 928,
    });
    assert.deepEqual(count((await loadSplit("siqa", "validation", opts)).docs.map((d) => d.label)), {
      1: 643,
      2: 654,
      3: 657,
    });
    const dev = (await loadSplit("mmlu", "dev", opts)).docs;
    assert.equal(new Set(dev.map((d) => d.subject)).size, 57);
    const sick = (await loadSplit("sick", "train", opts)).docs[0];
    assert.deepEqual(sick, {
      pair_ID: 1,
      sentence_A: "A group of kids is playing in a yard and an old man is standing in the background",
      sentence_B: "A group of boys in a yard is playing and a man is standing in the background",
      relatedness_score: 4.5,
      entailment_judgment: "NEUTRAL",
    });
    const stsb = (await loadSplit("stsb", "validation", opts)).docs[0];
    assert.deepEqual(stsb, {
      genre: "main-captions",
      file: "MSRvid",
      year: "2012test",
      id: "0000",
      score: 5,
      sentence1: "A man with a hard hat is dancing.",
      sentence2: "A man wearing a hard hat is dancing.",
    });
    const he = (await loadSplit("humaneval", "test", opts)).docs;
    assert.deepEqual(he.map((d) => d.task_id), Array.from({ length: 164 }, (_, i) => `HumanEval/${i}`));
  },
);

Deno.test(
  "WikiText-2 test rows equal the hub's: their newline join has the published sha256",
  needsMirror,
  async () => {
    const { docs } = await loadSplit("wikitext2", "test", {
      mirror: testMirror(),
      download: false,
      cache: "/x",
    });
    const joined = docs.map((d) => d.text as string).join("\n");
    // `"\n".join(load_dataset("wikitext","wikitext-2-raw-v1")["test"]["text"])`: 1,292,013 bytes, sha256 from
    // the mirror's SOURCE.md (github.com/sumanthcherupally/transformer_comparison data/test.txt).
    const bytes = new TextEncoder().encode(joined);
    assert.equal(bytes.length, 1292013);
    assert.equal(
      createHash("sha256").update(bytes).digest("hex"),
      "aca2f46735043bcfd0a44eca981d04627b9cdf74c4c9a04bf0856d04066f58fc",
    );
  },
);

Deno.test("C4 shards: json lines gz with text/timestamp/url; the row count is checked", async () => {
  const mirror = await tempDir();
  try {
    await Deno.mkdir(join(mirror, "datasets/c4/en"), { recursive: true });
    const rows = [
      {
        text: "Beginners BBQ Class Taking Place in Missoula!\nDo you want to get better?",
        timestamp: "2019-04-25T12:57:54Z",
        url: "https://example.com/a",
      },
      {
        text: "Discussion in 'Mac OS X Lion (10.7)' started",
        timestamp: "2019-04-21T10:07:13Z",
        url: "https://example.com/b",
      },
    ];
    await writeGzip(
      join(mirror, "datasets/c4/en/c4-train.00000-of-01024.json.gz"),
      rows.map((r) => JSON.stringify(r)).join("\n") + "\n",
    );
    const loaded = await loadSplit("c4", "train", {
      mirror,
      download: false,
      cache: mirror,
      strictRows: false,
    });
    assert.deepEqual(loaded.docs, rows);
    await assert.rejects(
      loadSplit("c4", "train", { mirror, download: false, cache: mirror }),
      /Cannot load dataset "c4": split "train" has 2 rows in .*c4-train\.00000-of-01024\.json\.gz, the official size is 356317/,
    );
  } finally {
    await Deno.remove(mirror, { recursive: true });
  }
});

const HELLASWAG_ROW = {
  ind: 24,
  activity_label: "Roof shingle removal",
  ctx_a: "A man is sitting on a roof.",
  ctx_b: "he",
  ctx: "A man is sitting on a roof. he",
  split: "val",
  split_type: "indomain",
  label: 3,
  endings: [
    "is using wrap to wrap a pair of skis.",
    "is ripping level tiles off.",
    "is holding a rubik's cube.",
    "starts pulling up roofing on a roof.",
  ],
  source_id: "activitynet~v_-JhWjGDPHMY",
};

Deno.test("HellaSwag: the publisher's jsonl and the hub's parquet (string labels) give the same docs", async () => {
  const mirror = await tempDir();
  try {
    const dir = join(mirror, "datasets/hellaswag");
    await Deno.mkdir(join(dir, "default/validation"), { recursive: true });
    await Deno.writeTextFile(join(dir, "hellaswag_val.jsonl"), JSON.stringify(HELLASWAG_ROW) + "\n");
    const opts = { mirror, download: false, cache: mirror, strictRows: false };
    const fromJsonl = await loadSplit("hellaswag", "validation", opts);
    assert.equal(fromJsonl.origin, "publisher");
    assert.deepEqual(fromJsonl.docs, [HELLASWAG_ROW]);

    await Deno.remove(join(dir, "hellaswag_val.jsonl"));
    const r = HELLASWAG_ROW;
    await writeParquet(join(dir, "default/validation/0000.parquet"), [
      { name: "ind", data: [r.ind], type: "INT64" },
      { name: "activity_label", data: [r.activity_label], type: "STRING" },
      { name: "ctx_a", data: [r.ctx_a], type: "STRING" },
      { name: "ctx_b", data: [r.ctx_b], type: "STRING" },
      { name: "ctx", data: [r.ctx], type: "STRING" },
      { name: "endings", data: [r.endings], type: "STRING_LIST" },
      { name: "source_id", data: [r.source_id], type: "STRING" },
      { name: "split", data: [r.split], type: "STRING" },
      { name: "split_type", data: [r.split_type], type: "STRING" },
      { name: "label", data: [String(r.label)], type: "STRING" },
    ]);
    const fromHub = await loadSplit("hellaswag", "validation", opts);
    assert.equal(fromHub.origin, "hub");
    assert.deepEqual(fromHub.docs, [HELLASWAG_ROW]);
  } finally {
    await Deno.remove(mirror, { recursive: true });
  }
});

Deno.test(
  "MMLU from the hub's parquet (list column) equals the mirror's jsonl rows",
  needsMirror,
  async () => {
    const mirror = await tempDir();
    try {
      const jsonl =
        (await loadSplit("mmlu", "dev", { mirror: testMirror(), download: false, cache: mirror })).docs;
      const rows = jsonl.slice(0, 12);
      const dir = join(mirror, "datasets/mmlu/all");
      await Deno.mkdir(dir, { recursive: true });
      await writeParquet(join(dir, "dev-00000-of-00001.parquet"), [
        { name: "question", data: rows.map((d) => d.question), type: "STRING" },
        { name: "subject", data: rows.map((d) => d.subject), type: "STRING" },
        { name: "choices", data: rows.map((d) => d.choices), type: "STRING_LIST" },
        { name: "answer", data: rows.map((d) => d.answer), type: "INT64" },
      ]);
      const hub = await loadSplit("mmlu", "dev", {
        mirror,
        download: false,
        cache: mirror,
        strictRows: false,
      });
      assert.equal(hub.origin, "hub");
      assert.deepEqual(hub.docs, rows);
    } finally {
      await Deno.remove(mirror, { recursive: true });
    }
  },
);

Deno.test("WikiText-2 train: a raw file in the publisher's format, or the hub's parquet", async () => {
  const mirror = await tempDir();
  try {
    const dir = join(mirror, "datasets/wikitext-2-raw-v1");
    await Deno.mkdir(join(dir, "wikitext-2-raw-v1"), { recursive: true });
    await Deno.writeTextFile(
      join(dir, "wiki.train.raw"),
      " \n = Valkyria Chronicles III = \n \n Senjō no Valkyria 3 .\n",
    );
    const opts = { mirror, download: false, cache: mirror, strictRows: false };
    const expected = ["", " = Valkyria Chronicles III = \n", "", " Senjō no Valkyria 3 .\n"].map((text) => ({
      text,
    }));
    assert.deepEqual((await loadSplit("wikitext2", "train", opts)).docs, expected);
    await Deno.remove(join(dir, "wiki.train.raw"));
    await writeParquet(join(dir, "wikitext-2-raw-v1/train-00000-of-00001.parquet"), [
      { name: "text", data: expected.map((d) => d.text), type: "STRING" },
    ]);
    assert.deepEqual((await loadSplit("wikitext2", "train", opts)).docs, expected);
  } finally {
    await Deno.remove(mirror, { recursive: true });
  }
});

Deno.test("c4-10k: the hub's parquet (text, timestamp[us], url), pinned by sha256; docs parse as written", async () => {
  const mirror = await tempDir();
  try {
    const spec = DATASETS.get("c4-10k");
    const source = spec.splits.train.sources[0];
    const file = source.files[0];
    assert.equal(file.file, "data/train-00000-of-00001-f6f21d3dc6d657fc.parquet");
    assert.match(
      file.url!,
      /^https:\/\/huggingface\.co\/datasets\/NeelNanda\/c4-10k\/resolve\/[0-9a-f]{40}\/data\//,
    );
    const rows = [
      {
        text: "Beginners BBQ Class Taking Place in Missoula!",
        timestamp: new Date("2019-04-25T12:57:54Z"),
        url: "https://example.com/a",
      },
      {
        text: "Discussion in 'Mac OS X Lion (10.7)' started",
        timestamp: new Date("2019-04-21T10:07:13Z"),
        url: "b",
      },
    ];
    const path = join(mirror, "datasets/c4-10k", file.file);
    await Deno.mkdir(join(path, ".."), { recursive: true });
    await writeParquet(path, [
      { name: "text", data: rows.map((r) => r.text), type: "STRING" },
      { name: "timestamp", data: rows.map((r) => r.timestamp), type: "TIMESTAMP_US" },
      { name: "url", data: rows.map((r) => r.url), type: "STRING" },
    ]);
    // The file the tests write is not the hub's: the pinned checksum refuses it, naming both hashes.
    await assert.rejects(
      loadSplit("c4-10k", "train", { mirror, download: false, cache: mirror, strictRows: false }),
      /Cannot load dataset "c4-10k".*has sha256 [0-9a-f]{64}, expected ed2d10ef/s,
    );
    // Everything after the checksum: parquet rows → docs → the doc schema.
    const docs = source.toDocs([await parseDataFile(path, "parquet")]).map((d) => spec.doc.parse(d));
    assert.deepEqual(docs, rows);
  } finally {
    await Deno.remove(mirror, { recursive: true });
  }
});

Deno.test("pg19: emozilla/pg19 parquet (short_book_title, publication_date int32, url, text), validation and test", async () => {
  const mirror = await tempDir();
  try {
    const rows = [
      {
        short_book_title: "The Aeneid",
        publication_date: 1697,
        url: "http://www.gutenberg.org/ebooks/228",
        text: "ARMS, and the man I sing",
      },
      {
        short_book_title: "Moby Dick",
        publication_date: 1851,
        url: "http://www.gutenberg.org/ebooks/2701",
        text: "Call me Ishmael.",
      },
    ];
    const columns = [
      { name: "short_book_title", data: rows.map((r) => r.short_book_title), type: "STRING" as const },
      { name: "publication_date", data: rows.map((r) => r.publication_date), type: "INT32" as const },
      { name: "url", data: rows.map((r) => r.url), type: "STRING" as const },
      { name: "text", data: rows.map((r) => r.text), type: "STRING" as const },
    ];
    const dir = join(mirror, "datasets/pg19");
    for (const split of ["validation", "test"]) {
      const file = DATASETS.get("pg19").splits[split].sources[0].files[0];
      await Deno.mkdir(join(dir, file.file, ".."), { recursive: true });
      await writeParquet(join(dir, file.file), columns);
      const opts = { mirror, download: false, cache: mirror, strictRows: false };
      assert.deepEqual((await loadSplit("pg19", split, opts)).docs, rows, split);
      await assert.rejects(
        loadSplit("pg19", split, { ...opts, strictRows: true }),
        new RegExp(`split "${split}" has 2 rows .*the official size is ${split === "test" ? 100 : 50}`),
      );
    }
  } finally {
    await Deno.remove(mirror, { recursive: true });
  }
});

Deno.test("bad input: wrong checksum, invalid row, unknown split, missing dataset", needsMirror, async () => {
  const mirror = await tempDir();
  try {
    const boolq = join(mirror, "datasets/boolq");
    await Deno.mkdir(boolq, { recursive: true });
    await Deno.writeTextFile(
      join(boolq, "dev.jsonl"),
      '{"question": "q", "title": "t", "answer": true, "passage": "p"}\n',
    );
    const opts = { mirror, download: false, cache: mirror };
    await assert.rejects(
      loadSplit("boolq", "validation", opts),
      /Cannot load dataset "boolq": .*dev\.jsonl has sha256 [0-9a-f]{64}, expected ebc29ea3/,
    );
    // A publisher file without a known checksum (hellaswag) gets its rows validated.
    await Deno.mkdir(join(mirror, "datasets/hellaswag"));
    await Deno.writeTextFile(
      join(mirror, "datasets/hellaswag/hellaswag_val.jsonl"),
      JSON.stringify({ ...HELLASWAG_ROW, endings: ["only one"] }) + "\n",
    );
    await assert.rejects(
      loadSplit("hellaswag", "validation", { ...opts, strictRows: false }),
      /Cannot load dataset "hellaswag": row 1 of .*hellaswag_val\.jsonl: field "endings"/,
    );
    await assert.rejects(loadSplit("boolq", "dev", opts), {
      message:
        'Cannot find split "dev" of dataset "boolq": known splits: validation, train, validation-first200',
    });
    await assert.rejects(
      loadSplit("c4", "train", opts),
      /Cannot load dataset "c4": split "train" is not in the mirror \(.*c4-train\.00000-of-01024\.json\.gz\) nor the cache and download failed \(downloads are disabled\)/,
    );
    await assert.rejects(loadSplit("c4", "train", { ...opts, mirror: null }), /\(ACTPAT_MIRROR is not set\)/);
    assert.throws(() => openDataset("boolk"), /did you mean "boolq"/);
  } finally {
    await Deno.remove(mirror, { recursive: true });
  }
});

Deno.test("openDataset loads a split once and serves examples by id", needsMirror, async () => {
  const ds = openDataset("piqa", { mirror: testMirror(), download: false, cache: "/x" });
  const a = await ds.split("validation");
  assert.equal(await ds.split("validation"), a);
  const ex = await ds.example("validation", 1837);
  assert.equal(ex.doc, a.docs[1837]);
  await assert.rejects(
    ds.example("validation", 1838),
    /Cannot find example 1838 of piqa\/validation: ids run from 0 to 1837/,
  );
});

Deno.test(
  "the mirror's real C4 and HellaSwag pieces load; the embedded pieces are their first rows",
  needsMirror,
  async () => {
    const opts = { mirror: testMirror(), download: false, cache: "/nonexistent" };
    const train = await loadSplit("c4", "train-first1000", opts);
    const validation = await loadSplit("c4", "validation-first1000", opts);
    const hella = await loadSplit("hellaswag", "validation-subset1000", opts);
    assert.deepEqual([train.docs.length, validation.docs.length, hella.docs.length], [1000, 1000, 1000]);
    // C4 validation rows name the crawl time `date`: read as C4's timestamp.
    assert.ok(validation.docs.every((d) => String(d.timestamp).length > 0 && String(d.text).length > 0));
    const embedded = { download: false, cache: "/nonexistent" };
    assert.deepEqual((await loadSplit("c4", "train-first100", embedded)).docs, train.docs.slice(0, 100));
    assert.deepEqual(
      (await loadSplit("hellaswag", "validation-subset200", embedded)).docs,
      hella.docs.slice(0, 200),
    );
    assert.equal(new Set(hella.docs.map((d) => d.ind)).size, 1000);
  },
);
