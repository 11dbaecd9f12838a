import assert from "node:assert/strict";
import { join } from "node:path";
import { runTask } from "../../../test/fixtures/run_task.ts";
import { writeRandomCheckpoint } from "../../model/random_checkpoint.ts";
import { readCsv } from "../../results/csv.ts";
import { readManifest } from "../../results/manifest.ts";
import { type MassiveOptions, runMassive } from "./massive.ts";
import {
  ATTENTION_COLUMNS,
  FEATURE_COLUMNS,
  INTERVENTION_COLUMNS,
  LOCATION_COLUMNS,
  MASSIVE_COLUMNS,
} from "./tables.ts";
import { writeParquet } from "../../../test/fixtures/datasets.ts";
import { MIRROR, STORIES_HF } from "../../../test/fixtures/mirror.ts";

const STORIES = STORIES_HF;

/**
 * A small C4-format validation shard (the real one is not in the mirror) in a temporary mirror that has
 * no WikiText-2, so the run also shows the skip line. Sentences in the style of TinyStories, which the
 * stories260K tokenizer covers.
 */
async function smallMirror(root: string): Promise<string> {
  const mirror = join(root, "mirror");
  const dir = join(mirror, "datasets", "c4", "en");
  await Deno.mkdir(dir, { recursive: true });
  const words = [
    "the",
    "cat",
    "saw",
    "a",
    "big",
    "dog",
    "and",
    "they",
    "played",
    "in",
    "park",
    "sun",
    "was",
    "happy",
  ];
  const docs = Array.from({ length: 40 }, (_, i) => ({
    text: Array.from({ length: 30 }, (_, j) =>
      words[(i * 7 + j * 3 + (j * j) % 5) % words.length]).join(" ") + ".",
    timestamp: "2019-04-25T12:00:00Z",
    url: `https://example.org/${i}`,
  }));
  const gz = new Blob([docs.map((d) => JSON.stringify(d)).join("\n") + "\n"]).stream()
    .pipeThrough(new CompressionStream("gzip"));
  await Deno.writeFile(
    join(dir, "c4-validation.00000-of-00008.json.gz"),
    new Uint8Array(await new Response(gz).arrayBuffer()),
  );
  return mirror;
}

function baseOptions(root: string, mirror: string, lines: string[]): MassiveOptions {
  return {
    model: STORIES,
    sequences: 3,
    seqLen: 16,
    corpora: ["c4"],
    seed: 4,
    criterion: { absolute: 100, ratio: 1000 },
    batch: 2,
    pplWindows: 4,
    engine: { ep: "cpu", dtype: "float32", threads: 1, cache: join(root, "graphs") },
    root: join(root, "runs"),
    load: { mirror, cache: join(root, "cache"), download: false, strictRows: false },
    modelLoad: { mirror: null, cacheDir: join(root, "cache"), quiet: true },
    log: (l) => lines.push(l),
    quiet: true,
  };
}

Deno.test("stories260K: no massive activations, said so; statistics and untouched perplexity still written", async () => {
  const root = await Deno.makeTempDir({ prefix: "actpat_massive_" });
  try {
    const mirror = await smallMirror(root);
    const lines: string[] = [];
    const out = join(root, "run");
    const summary = await runMassive({
      ...baseOptions(root, mirror, lines),
      out,
      argv: ["--model", STORIES],
    });
    assert.equal(summary.massive, "none");
    assert.equal(summary.plan, null);
    assert(
      lines.some((l) => /^massive: none \(no activation with \|x\| > 100 and > 1000 × median/.test(l)),
      lines.join("\n"),
    );
    assert(
      lines.some((l) =>
        /^skip perplexity on wikitext2: not in the mirror or the cache, and downloads are off/.test(l)
      ),
    );

    // readCsv checks the header against the documented columns.
    const massive = await readCsv(join(out, "massive.csv"), MASSIVE_COLUMNS);
    assert.equal(massive.length, 5);
    for (const r of massive) {
      assert.equal(r.massive, false);
      assert(Number(r.top1) >= Number(r.top2) && Number(r.top2) >= Number(r.top3) && Number(r.median) > 0);
    }
    const intervention = await readCsv(join(out, "intervention.csv"), INTERVENTION_COLUMNS);
    assert.deepEqual(intervention.map((r) => [r.setting, r.corpus, r.layer, r.n_windows, r.n_tokens]), [
      ["original", "c4", null, 4, 4 * 15],
    ]);
    assert(Number(intervention[0].ppl) > 1);
    const locations = await readCsv(join(out, "massive_locations.csv"), LOCATION_COLUMNS);
    assert.deepEqual(
      [...new Set(locations.map((r) => r.layer))],
      [0, 1, 2, 3, 4],
      "every layer lists its top activations",
    );

    // The signature figure's data: the reference's prompt after layer 1, every token × dimension, no BOS.
    const features = await readCsv(join(out, "massive_features.csv"), FEATURE_COLUMNS);
    const tokens = new Set(features.map((r) => r.position)).size;
    assert.equal(features.length, tokens * 64);
    assert(features.every((r) => r.layer === 1 && r.massive === false && r.token !== "<bos>"));
    assert.equal(features.filter((r) => r.top).length, 3);
    // Attention: 5 layers × 8 heads; massive: none, so the mass goes to each sequence's largest activation.
    const attention = await readCsv(join(out, "attention_mass.csv"), ATTENTION_COLUMNS);
    assert.equal(attention.length, 5 * 8);
    for (const r of attention) {
      assert.equal(r.token_set, "largest");
      assert(Number(r.mass) >= 0 && Number(r.mass) <= 1 + 1e-6 && Number(r.first_token_mass) <= 1 + 1e-6);
    }
    assert.equal(summary.attentionTokens, "largest");
    assert.equal(summary.intervention, "threshold");

    const manifest = await readManifest(join(out, "manifest.json"));
    assert.equal(manifest.status, "ok");
    assert.equal(manifest.model?.files[0].sha256.length, 64);
    assert.equal(manifest.datasets[0].name, "c4");
    assert.equal(manifest.datasets[0].windows?.starts.length, 3);
    assert.equal(manifest.datasets[0].windows?.seed, 4);
    const note = manifest.outputs.find((o) => o.file === "summary.json")?.description ?? "";
    assert.match(note, /^massive: none/);
    assert.match(manifest.outputs.find((o) => o.file === "massive.csv")?.description ?? "", /massive: none/);

    // A second run in the same directory reuses both stages and writes the same numbers.
    const before = await Deno.readTextFile(join(out, "intervention.csv"));
    await runMassive({ ...baseOptions(root, mirror, []), out });
    const again = await readManifest(join(out, "manifest.json"));
    assert.deepEqual(again.stages.map((s) => [s.name, s.reused]), [
      ["analysis", true],
      ["features", true],
      ["ppl-c4", true],
    ]);
    assert.equal(await Deno.readTextFile(join(out, "intervention.csv")), before);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a random 2-layer checkpoint with a loose criterion: massive found, zero and mean perplexities", async () => {
  const root = await Deno.makeTempDir({ prefix: "actpat_massive_" });
  try {
    const mirror = await smallMirror(root);
    const ckpt = join(root, "tiny");
    await writeRandomCheckpoint(ckpt, {
      shape: "tiny",
      layers: 2,
      seed: 3,
      tokenizer: STORIES,
      quiet: true,
      resolve: { mirror: null, cacheDir: join(root, "cache") },
    });
    const lines: string[] = [];
    const summary = await runMassive({
      ...baseOptions(root, mirror, lines),
      model: ckpt,
      criterion: { absolute: 0, ratio: 5 },
      bos: true,
    });
    assert.equal(summary.massive, "found");
    assert.notEqual(summary.firstLayer, null);
    assert(
      lines.some((l) =>
        l.startsWith(`massive: found (|x| > 0 and > 5 × median); first at layer ${summary.firstLayer}`)
      ),
    );
    const rows = await readCsv(join(summary.dir, "intervention.csv"), INTERVENTION_COLUMNS);
    assert.deepEqual(rows.map((r) => [r.setting, r.layer]), [
      ["original", null],
      ["zero", summary.firstLayer],
      ["mean", summary.firstLayer],
    ]);
    assert(Number(rows[1].n_replaced) > 0);
    assert.equal(rows[1].n_replaced, rows[2].n_replaced, "both settings replace the same entries");
    const massive = await readCsv(join(summary.dir, "massive.csv"), MASSIVE_COLUMNS);
    assert.equal(massive[summary.firstLayer!].massive, true);
    const locations = await readCsv(join(summary.dir, "massive_locations.csv"), LOCATION_COLUMNS);
    assert(locations.some((r) => Number(r.massive_sequences) > 0));
    // --bos: every analysis sequence starts with BOS, so the first-token site is BOS in all of them.
    assert(locations.some((r) => r.position === 0 && r.token === "<bos>" && r.sequences === 3));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("--intervention paper: layer index 1, first and top token; the reference's corpora, PG-19 read as get_pg19", async () => {
  const root = await Deno.makeTempDir({ prefix: "actpat_massive_" });
  try {
    const mirror = await smallMirror(root);
    const pg19 = join(mirror, "datasets", "pg19", "default", "partial-validation", "0000.parquet");
    await Deno.mkdir(join(pg19, ".."), { recursive: true });
    const books = Array.from(
      { length: 6 },
      (_, i) => `Once upon a time a little dog ${i} was happy in the sun.`.repeat(3),
    );
    await writeParquet(pg19, [
      { name: "short_book_title", data: books.map((_, i) => `b${i}`), type: "STRING" },
      { name: "publication_date", data: books.map(() => 1900), type: "INT32" },
      { name: "url", data: books.map((_, i) => `u${i}`), type: "STRING" },
      { name: "text", data: books, type: "STRING" },
    ]);
    const ckpt = join(root, "tiny");
    await writeRandomCheckpoint(ckpt, {
      shape: "tiny",
      layers: 3,
      seed: 3,
      tokenizer: STORIES,
      quiet: true,
      resolve: { mirror: null, cacheDir: join(root, "cache") },
    });
    const lines: string[] = [];
    const summary = await runMassive({
      ...baseOptions(root, mirror, lines),
      model: ckpt,
      criterion: { absolute: 0, ratio: 5 },
      intervention: "paper",
      attention: false,
    });
    assert.equal(summary.intervention, "paper");
    const plan = summary.plan as { rule: string; layer: number; referenceModel: string | null };
    assert.equal(plan.rule, "paper");
    assert.equal(plan.layer, 1);
    assert.equal(plan.referenceModel, null, "no hard-coded values for a random checkpoint: measured");
    const rows = await readCsv(join(summary.dir, "intervention.csv"), INTERVENTION_COLUMNS);
    assert.deepEqual([...new Set(rows.map((r) => r.corpus))], ["pg19", "c4"]);
    assert.deepEqual(rows.filter((r) => r.setting !== "original").map((r) => r.layer), [1, 1, 1, 1]);
    assert(lines.some((l) => /^skip perplexity on wikitext2/.test(l)));
    assert(lines.some((l) => /^skip perplexity on c4-10k/.test(l)));
    assert.equal(summary.attentionTokens, null);
    await assert.rejects(Deno.stat(join(summary.dir, "attention_mass.csv")), Deno.errors.NotFound);
    const manifest = await readManifest(join(summary.dir, "manifest.json"));
    const config = manifest.config as Record<string, unknown>;
    assert.deepEqual([config.intervention, config.corpusProtocol], ["paper", "reference"]);
    const pg = manifest.datasets.find((d) => d.name === "pg19")!;
    assert.equal(pg.windows?.starts.length, 4, "--ppl-windows 4 of get_pg19's first 100");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("deno task massive: bad flags exit 2 with a clear error and leave no run directory", async () => {
  const root = await Deno.makeTempDir({ prefix: "actpat_massive_cli_" });
  try {
    const out = join(root, "run");
    const base = ["--model", STORIES, "--out", out];
    const cases: [string[], RegExp][] = [
      [["--seq-len", "16"], /error: Cannot run massive: --model is required\nusage: deno task massive/],
      [base, /error: Cannot run massive: --seq-len is required/],
      [[...base, "--seq-len", "0"], /error: Cannot parse --seq-len: "0" is not > 0/],
      [
        [...base, "--seq-len", "16", "--sequences", "x"],
        /Cannot parse --sequences: "x" is not a number/,
      ],
      [
        [...base, "--seq-len", "16", "--corpus", "boolq"],
        /Cannot parse --corpus: "boolq" is not a perplexity corpus/,
      ],
      [[...base, "--seq-len", "16", "--ratio=-1"], /Cannot parse --ratio: "-1" is not > 0/],
      [[...base, "--seq-len", "16", "--frobnicate"], /Cannot run massive: Unknown option '--frobnicate'/],
      [[...base, "--seq-len", "1"], /Cannot parse --seq-len: 1 is not an integer ≥ 2/],
      [
        [...base, "--seq-len", "16", "--intervention", "hook"],
        /Cannot parse --intervention: "hook" is not one of threshold, paper/,
      ],
      [
        [...base, "--seq-len", "16", "--feature-layer", "x"],
        /Cannot parse --feature-layer: "x" is not a non-negative/,
      ],
    ];
    for (const [args, pattern] of cases) {
      const r = await runTask("massive.ts", args, { ACTPAT_MIRROR: MIRROR ?? "" });
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
      await assert.rejects(Deno.stat(out), Deno.errors.NotFound);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
