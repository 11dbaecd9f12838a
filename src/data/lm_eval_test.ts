import assert from "node:assert/strict";
import { join } from "node:path";
import { multipleChoiceRequest } from "./lm_eval.ts";
import { type DatasetHandle, openDataset } from "./load.ts";
import { testMirror } from "../../test/fixtures/datasets.ts";
import type { Doc } from "./dataset_spec.ts";
import { needsMirror } from "../../test/fixtures/mirror.ts";

const OPTS = { mirror: testMirror(), download: false, cache: "/nonexistent" };

/** Line `i` of a mirror jsonl file, parsed directly (independent of the loaders). */
async function rawRow(file: string, i: number): Promise<Record<string, unknown>> {
  const lines = (await Deno.readTextFile(join(testMirror(), "datasets", file))).split("\n");
  return JSON.parse(lines[i]);
}

Deno.test(
  "boolq: '{passage}\\nQuestion: {question}?\\nAnswer:' with ' no' / ' yes'",
  needsMirror,
  async () => {
    const ds = openDataset("boolq", OPTS);
    const raw = await rawRow("boolq/dev.jsonl", 0);
    const req = await multipleChoiceRequest(ds, await ds.example("validation", 0));
    assert.equal(req.context, `${raw.passage}\nQuestion: ${raw.question}?\nAnswer:`);
    assert.ok(req.context.endsWith("\nQuestion: does ethanol take more energy make that produces?\nAnswer:"));
    assert.deepEqual(req.continuations, [" no", " yes"]);
    assert.equal(req.target, 0); // "answer": false
    await assert.rejects(
      multipleChoiceRequest(ds, await ds.example("validation", 0), { shots: 1 }),
      /Cannot build a 1-shot request for "boolq": lm-eval samples its few-shot examples at random/,
    );
  },
);

Deno.test("piqa: 'Question: {goal}\\nAnswer:' with sol1/sol2", needsMirror, async () => {
  const ds = openDataset("piqa", OPTS);
  const req = await multipleChoiceRequest(ds, await ds.example("validation", 0));
  assert.equal(req.context, "Question: How do I ready a guinea pig cage for it's new occupants?\nAnswer:");
  assert.deepEqual(req.continuations, [
    " Provide the guinea pig with a cage full of a few inches of bedding made of ripped paper strips, you will also need to supply it with a water bottle and a food dish.",
    " Provide the guinea pig with a cage full of a few inches of bedding made of ripped jeans material, you will also need to supply it with a water bottle and a food dish.",
  ]);
  assert.equal(req.target, 0);
  // Row 1's sol2 has a double space: lm-eval does not normalise PIQA text.
  assert.deepEqual((await multipleChoiceRequest(ds, await ds.example("validation", 1))).continuations, [
    " replace drawer with bobby pin ",
    " finish, woodgrain with  bobby pin ",
  ]);
});

Deno.test("social_iqa: 'Q: {context} {question}\\nA:', target = label - 1", needsMirror, async () => {
  const ds = openDataset("siqa", OPTS);
  const req = await multipleChoiceRequest(ds, await ds.example("validation", 0));
  assert.equal(
    req.context,
    "Q: Tracy didn't go home that evening and resisted Riley's attacks. What does Tracy need to do before this?\nA:",
  );
  assert.deepEqual(req.continuations, [
    " make a new plan",
    " Go home and see Riley",
    " Find somewhere to go",
  ]);
  assert.equal(req.target, 2); // dev-labels.lst line 1: "3"
});

function hellaswagHandle(doc: Doc): { ds: DatasetHandle; doc: Doc } {
  return { ds: openDataset("hellaswag", OPTS), doc };
}

Deno.test("hellaswag: lm-eval's preprocess and ctx_b.capitalize()", async () => {
  const { ds, doc } = hellaswagHandle({
    ind: 1,
    activity_label: "Personal Care and Style",
    ctx_a: "[header] How to dye your hair [title] Buy the dye.",
    ctx_b: "THEN rinse  it",
    ctx: "",
    endings: ["[step] Apply it  evenly.", "Wait [substeps] a day.", " Stop. ", "Dry it"],
    source_id: "wikihow~1",
    split: "val",
    split_type: "indomain",
    label: 1,
  });
  const req = await multipleChoiceRequest(ds, { dataset: "hellaswag", split: "validation", id: 0, doc });
  // Worked by hand: " [title]" → ". ", brackets removed, then double spaces halved once.
  assert.equal(req.context, "Personal Care and Style: How to dye your hair. Buy the dye. Then rinse it");
  assert.deepEqual(req.continuations, ["  Apply it evenly.", " Wait a day.", " Stop.", " Dry it"]);
  assert.equal(req.target, 1);
  const real = hellaswagHandle({
    ind: 24,
    activity_label: "Roof shingle removal",
    ctx_a: "A man is sitting on a roof.",
    ctx_b: "he",
    ctx: "A man is sitting on a roof. he",
    endings: [
      "is using wrap to wrap a pair of skis.",
      "is ripping level tiles off.",
      "is holding a rubik's cube.",
      "starts pulling up roofing on a roof.",
    ],
    source_id: "activitynet~v_-JhWjGDPHMY",
    split: "val",
    split_type: "indomain",
    label: 3,
  });
  const r2 = await multipleChoiceRequest(real.ds, {
    dataset: "hellaswag",
    split: "validation",
    id: 0,
    doc: real.doc,
  });
  assert.equal(r2.context, "Roof shingle removal: A man is sitting on a roof. He");
  assert.equal(r2.continuations[3], " starts pulling up roofing on a roof.");
});

/** lm-eval's MMLU doc_to_text, written out independently. */
function mmluText(d: Record<string, unknown>): string {
  const c = d.choices as string[];
  return `${(d.question as string).trim()}\nA. ${c[0]}\nB. ${c[1]}\nC. ${c[2]}\nD. ${c[3]}\nAnswer:`;
}

Deno.test(
  "mmlu 0-shot: description with the subject's underscores as spaces, then the question",
  needsMirror,
  async () => {
    const ds = openDataset("mmlu", OPTS);
    const raw = await rawRow("mmlu/test.jsonl", 0);
    const req = await multipleChoiceRequest(ds, await ds.example("test", 0));
    assert.equal(
      req.context,
      "The following are multiple choice questions (with answers) about abstract algebra.\n\n" +
        mmluText(raw),
    );
    assert.deepEqual(req.continuations, [" A", " B", " C", " D"]);
    assert.equal(req.target, raw.answer);
    assert.deepEqual(req.fewshotIds, []);
  },
);

Deno.test(
  "mmlu 5-shot: the subject's first five dev rows with their answers, '\\n\\n' between",
  needsMirror,
  async () => {
    const ds = openDataset("mmlu", OPTS);
    const test = (await ds.split("test")).docs;
    const id = test.findIndex((d) => d.subject === "high_school_us_history");
    const raw = await rawRow("mmlu/test.jsonl", id);
    const devLines = (await Deno.readTextFile(join(testMirror(), "datasets/mmlu/dev.jsonl"))).trim().split(
      "\n",
    );
    const dev = devLines.map((l) => JSON.parse(l));
    const shots = dev.map((d, i) => ({ d, i })).filter(({ d }) => d.subject === "high_school_us_history")
      .slice(
        0,
        5,
      );
    const req = await multipleChoiceRequest(ds, await ds.example("test", id), { shots: 5 });
    const expected =
      "The following are multiple choice questions (with answers) about high school us history.\n\n" +
      shots.map(({ d }) => `${mmluText(d)} ${"ABCD"[d.answer]}\n\n`).join("") + mmluText(raw);
    assert.equal(req.context, expected);
    assert.deepEqual(req.fewshotIds, shots.map(({ i }) => i));
    // A literal anchor: the first abstract algebra dev question as a shot.
    const first = await multipleChoiceRequest(ds, await ds.example("test", 0), { shots: 5 });
    assert.ok(
      first.context.includes(
        "\n\nFind all c in Z_3 such that Z_3[x]/(x^2 + c) is a field.\nA. 0\nB. 1\nC. 2\nD. 3\nAnswer: B\n\n",
      ),
    );
    await assert.rejects(
      multipleChoiceRequest(ds, await ds.example("test", 0), { shots: 6 }),
      /the dev split has only 5 few-shot examples/,
    );
  },
);

Deno.test("a request for a dataset that is not multiple choice is refused", needsMirror, async () => {
  const ds = openDataset("gsm8k", OPTS);
  await assert.rejects(
    multipleChoiceRequest(ds, await ds.example("test", 0)),
    { message: 'Cannot build a multiple-choice request for "gsm8k": it is a generation dataset' },
  );
});
