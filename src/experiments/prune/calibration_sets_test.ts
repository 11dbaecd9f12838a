import assert from "node:assert/strict";
import { join } from "node:path";
import { tempDir } from "../../../test/fixtures/temp_dir.ts";
import { DATASETS, type LoadOptions, openDataset, sampleExamples } from "../../data/mod.ts";
import { calibrationSet, calibrationSplit, parseCalibration } from "./calibration_sets.ts";
import { needsMirror } from "../../../test/fixtures/mirror.ts";
import { writeParquet } from "../../../test/fixtures/datasets.ts";
import { CalibrationUnbuildable } from "./calibration_unbuildable.ts";
import { defaultCalibrationSplit } from "./calibration_sets.ts";

/** Bytes + 3, BOS = 1: token counts are byte counts, and windows decode exactly. */
const bytes = {
  encode(text: string, options: { addBos?: boolean } = {}): number[] {
    const ids = [...new TextEncoder().encode(text)].map((b) => b + 3);
    return options.addBos ? [1, ...ids] : ids;
  },
};
const SEP = "\n###\n";

async function writeGzip(path: string, text: string): Promise<void> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  await Deno.writeFile(path, new Uint8Array(await new Response(stream).arrayBuffer()));
}

/** A cache folder holding small files in the publishers' formats; no mirror, no downloads. */
async function fixture(dir: string): Promise<LoadOptions> {
  const ds = (p: string) => join(dir, "datasets", p);
  await Deno.mkdir(ds("c4/en"), { recursive: true });
  for (const d of ["boolq", "piqa", "hellaswag"]) await Deno.mkdir(ds(d), { recursive: true });
  const c4 = [
    "short",
    "a".repeat(40),
    "tiny",
    "The quick brown fox jumps over the lazy dog.",
    "b".repeat(25),
  ];
  await writeGzip(
    ds("c4/en/c4-train.00000-of-01024.json.gz"),
    c4.map((text, i) => JSON.stringify({ text, timestamp: "2019-04-25T12:57:54Z", url: `https://x/${i}` }))
      .join("\n") + "\n",
  );
  const boolq = Array.from(
    { length: 12 },
    (_, i) => ({ question: `q${i}`, title: "t", answer: i % 2 === 0, passage: `p${i}` }),
  );
  await Deno.writeTextFile(ds("boolq/train.jsonl"), boolq.map((r) => JSON.stringify(r)).join("\n") + "\n");
  const piqa = Array.from({ length: 12 }, (_, i) => ({ goal: `g${i}`, sol1: `a${i}`, sol2: `b${i}` }));
  await Deno.writeTextFile(ds("piqa/train.jsonl"), piqa.map((r) => JSON.stringify(r)).join("\n") + "\n");
  await Deno.writeTextFile(ds("piqa/train-labels.lst"), piqa.map((_, i) => String(i % 2)).join("\n") + "\n");
  const hs = Array.from({ length: 210 }, (_, i) => ({
    ind: i,
    activity_label: `act${i}`,
    ctx_a: "c",
    ctx_b: "d",
    ctx: `c${i}`,
    endings: ["e0", "e1", "e2", "e3"],
    source_id: "s",
    split: "train",
    split_type: "indomain",
    label: i % 4,
  }));
  await Deno.writeTextFile(
    ds("hellaswag/hellaswag_train.jsonl"),
    hs.map((r) => JSON.stringify(r)).join("\n") + "\n",
  );
  return { mirror: null, cache: dir, download: false, strictRows: false, quiet: true };
}

/** The window the paper's loop yields: BOS and the first L − 1 bytes of the endless concatenation. */
function expectedWindow(pieces: string[], L: number): number[] {
  return bytes.encode(pieces.join(""), { addBos: true }).slice(0, L);
}

Deno.test("parseCalibration: name or name:split", () => {
  assert.deepEqual(parseCalibration("c4"), { dataset: "c4" });
  assert.deepEqual(parseCalibration("boolq:validation"), { dataset: "boolq", split: "validation" });
  assert.throws(() => parseCalibration("a:b:c"), /Cannot parse --calibration/);
});

Deno.test("c4: Wanda's windows of documents longer than seqLen, from the file in C4's format", async () => {
  await using tmp = await tempDir();
  const load = await fixture(tmp.path);
  const set = await calibrationSet({ dataset: "c4" }, bytes, { nsamples: 6, seqLen: 16, seed: 3, load });
  assert.equal(set.split, "train");
  assert.equal(set.procedure, "wanda-c4");
  const { docs } = await openDataset("c4", load).split("train");
  const w = set.record.windows!;
  assert.equal(set.sequences.length, 6);
  set.sequences.forEach((seq, i) => {
    const doc = bytes.encode(String(docs[w.docs![i]].text), { addBos: true });
    assert(doc.length > 16, "only documents longer than seqLen");
    assert(w.starts[i] <= doc.length - 17, "start in [0, len − seqLen − 1]");
    assert.deepEqual(seq, doc.slice(w.starts[i], w.starts[i] + 16));
  });
  assert(new Set(w.docs).size > 1, "several documents drawn");
});

Deno.test("task calibration: the paper's three ways of filling windows with prompts", async () => {
  await using tmp = await tempDir();
  const load = await fixture(tmp.path);
  const n = 2;
  const seed = 5;
  const drawn = async (name: string) =>
    (await sampleExamples(openDataset(name, load), "train", { n, seed })).ids;

  // BoolQ: prompts only.
  const L = 40;
  const boolqPrompt = (i: number) => `p${i}\nQuestion: q${i}?\nAnswer:`;
  const boolq = await calibrationSet({ dataset: "boolq" }, bytes, { nsamples: n, seqLen: L, seed, load });
  assert.equal(boolq.procedure, "paper-prompts");
  assert.deepEqual(boolq.record.examples?.ids, await drawn("boolq"));
  let j = n;
  for (const [w, i] of (await drawn("boolq")).entries()) {
    const pieces = [boolqPrompt(i)];
    // The paper appends a prompt while the text has fewer than L tokens.
    while (bytes.encode(pieces.join(""), { addBos: true }).length < L) pieces.push(SEP + boolqPrompt(j++));
    assert.deepEqual(boolq.sequences[w], expectedWindow(pieces, L), `boolq window ${w}`);
  }
  assert.deepEqual(boolq.fillRows, [n, j]);

  // PIQA: prompt + answer, the length checked before each answer is appended.
  const piqaPrompt = (i: number) => `Question:g${i}\n0. a${i}\n1. b${i}\nAnswer:`;
  const piqa = await calibrationSet({ dataset: "piqa" }, bytes, { nsamples: n, seqLen: L, seed, load });
  assert.equal(piqa.procedure, "paper-answers");
  j = n;
  for (const [w, i] of (await drawn("piqa")).entries()) {
    let text = piqaPrompt(i);
    let count = bytes.encode(text, { addBos: true }).length;
    text += String(i % 2);
    while (count < L) {
      text += SEP + piqaPrompt(j);
      count = bytes.encode(text, { addBos: true }).length;
      text += String(j % 2);
      j++;
    }
    assert.deepEqual(piqa.sequences[w], expectedWindow([text], L), `piqa window ${w}`);
  }
  assert.deepEqual(piqa.fillRows, [n, j]);

  // HellaSwag: 100 prompts appended before the first length check.
  const hs = await calibrationSet({ dataset: "hellaswag" }, bytes, { nsamples: n, seqLen: L, seed, load });
  assert.equal(hs.procedure, "paper-prefill");
  const spec = DATASETS.get("hellaswag");
  const { docs } = await openDataset("hellaswag", load).split("train");
  for (const [w, i] of (await drawn("hellaswag")).entries()) {
    const pieces = [spec.paper!.prompt(docs[i])];
    for (let k = 0; k < 100; k++) pieces.push(SEP + spec.paper!.prompt(docs[n + 100 * w + k]));
    assert.deepEqual(hs.sequences[w], expectedWindow(pieces, L), `hellaswag window ${w}`);
  }
  assert.deepEqual(hs.fillRows, [n, n + 200], "prompts of 40+ bytes: the prefill alone is long enough");
  assert(
    [boolq, piqa, hs].every((s) => s.sequences.every((q) => q.length === L && q[0] === 1)),
    "every window has L tokens and starts with BOS",
  );
});

Deno.test("task calibration: running out of fill rows is a clear error", async () => {
  await using tmp = await tempDir();
  const load = await fixture(tmp.path);
  await assert.rejects(
    () => calibrationSet({ dataset: "boolq" }, bytes, { nsamples: 4, seqLen: 2000, seed: 1, load }),
    (err) => {
      assert.ok(err instanceof CalibrationUnbuildable, "a typed, per-cell result");
      assert.deepEqual(err.cell.nsamples, 4);
      assert.match(
        err.message,
        /^Cannot build the calibration set boolq\/train \(4 × 2000 tokens\): Cannot build the boolq calibration set: the fill prompts ran past the 12 rows of split "train"/,
      );
      return true;
    },
  );
  await assert.rejects(
    () => calibrationSet({ dataset: "gsm8k" }, bytes, { nsamples: 4, seqLen: 20, seed: 1, load }),
    /Cannot calibrate on "gsm8k": calibration sets are c4, wikitext2 and the tasks/,
  );
});

Deno.test(
  "calibrationSplit: the default split, else another one on disk with a note",
  needsMirror,
  async () => {
    const load = { download: false, quiet: true };
    // The mirror holds BoolQ's validation split only.
    const boolq = await calibrationSplit(openDataset("boolq", load), undefined);
    assert.equal(boolq.split, "validation");
    assert.match(
      boolq.note!,
      /boolq\/train is not available .*downloads are disabled.*using boolq\/validation instead/,
    );
    assert.deepEqual(await calibrationSplit(openDataset("boolq", load), "train"), { split: "train" });
    // MMLU's auxiliary_train (the paper's) is hub-only: the first split on disk instead, with a note.
    const mmlu = await calibrationSplit(openDataset("mmlu", load), undefined);
    assert.equal(mmlu.split, "dev");
    assert.match(mmlu.note!, /mmlu\/auxiliary_train is not available .*using mmlu\/dev instead/);
    // HellaSwag has no train split on disk, only the piece of its validation split the repository embeds.
    const hellaswag = await calibrationSplit(openDataset("hellaswag", load), undefined);
    assert.match(
      hellaswag.note!,
      /hellaswag\/train is not available .*using hellaswag\/validation-\w+ instead/,
    );
  },
);

Deno.test("MMLU calibrates on auxiliary_train, read from a parquet in the hub's exact layout", async () => {
  await using tmp = await tempDir();
  // cais/mmlu all/auxiliary_train-00000-of-00001.parquet: question, subject ("" for these rows), choices, answer.
  const rows = Array.from({ length: 40 }, (_, i) => ({
    question: `Question ${i}: which is right?`,
    subject: "",
    choices: ["one", "two", "three", "four"],
    answer: i % 4,
  }));
  const dir = join(tmp.path, "datasets/mmlu/all");
  await Deno.mkdir(dir, { recursive: true });
  await writeParquet(join(dir, "auxiliary_train-00000-of-00001.parquet"), [
    { name: "question", data: rows.map((d) => d.question), type: "STRING" },
    { name: "subject", data: rows.map((d) => d.subject), type: "STRING" },
    { name: "choices", data: rows.map((d) => d.choices), type: "STRING_LIST" },
    { name: "answer", data: rows.map((d) => d.answer), type: "INT64" },
  ]);
  assert.equal(defaultCalibrationSplit("mmlu"), "auxiliary_train");
  assert.equal(DATASETS.get("mmlu").splits.auxiliary_train.rows, 99842);
  const load = { mirror: tmp.path, cache: tmp.path, download: false, strictRows: false, quiet: true };
  const set = await calibrationSet({ dataset: "mmlu" }, bytes, { nsamples: 2, seqLen: 200, seed: 0, load });
  assert.equal(set.split, "auxiliary_train");
  assert.equal(set.note, undefined, "no fallback: the paper's split was read");
  assert.equal(set.procedure, "paper-answers");
  assert.deepEqual(set.sequences.map((s) => s.length), [200, 200]);
  // The paper's prompt (lib/dataset/mmlu.py gen_prompt) with the row's empty subject.
  const text = new TextDecoder().decode(Uint8Array.from(set.sequences[0].slice(1), (t) => t - 3));
  assert.match(
    text,
    /^The following are multiple choice questions \(with answers\) about \.\n\nQuestion \d+: which is right\?\nA\. one\n/,
  );
});
