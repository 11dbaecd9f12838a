import assert from "node:assert/strict";
import { needsMirror } from "../../test/fixtures/mirror.ts";
import { pairTexts, promptText } from "./prompts.ts";
import { openDataset } from "./load.ts";
import { testMirror } from "../../test/fixtures/datasets.ts";

const OPTS = { mirror: testMirror(), download: false, cache: "/nonexistent" };

Deno.test("paper prompts: boolq, piqa, siqa, mmlu (lib/dataset/*.py gen_prompt)", needsMirror, async () => {
  const boolq = openDataset("boolq", OPTS);
  const b0 = await boolq.example("validation", 0);
  assert.equal(await promptText(boolq, b0), `${b0.doc.passage}\nQuestion: ${b0.doc.question}?\nAnswer:`);

  const piqa = openDataset("piqa", OPTS);
  assert.equal(
    await promptText(piqa, await piqa.example("validation", 1)),
    "Question:dresser\n0. replace drawer with bobby pin \n1. finish, woodgrain with  bobby pin \nAnswer:",
  );

  const siqa = openDataset("siqa", OPTS);
  assert.equal(
    await promptText(siqa, await siqa.example("validation", 0)),
    "The following are multiple choice questions (with answers) about social interaction.\n" +
      "Tracy didn't go home that evening and resisted Riley's attacks.\nWhat does Tracy need to do before this?\n" +
      "A. make a new plan\nB. Go home and see Riley\nC. Find somewhere to go\nAnswer:",
  );

  const mmlu = openDataset("mmlu", OPTS);
  assert.equal(
    await promptText(mmlu, await mmlu.example("dev", 0)),
    "The following are multiple choice questions (with answers) about abstract_algebra.\n\n" +
      "Find all c in Z_3 such that Z_3[x]/(x^2 + c) is a field.\nA. 0\nB. 1\nC. 2\nD. 3\nAnswer:",
  );
});

Deno.test(
  "paper prompts with shots: earlier examples + answer + '\\n###\\n', the example itself skipped",
  needsMirror,
  async () => {
    const boolq = openDataset("boolq", OPTS);
    const [b0, b1, b2] = await Promise.all([0, 1, 2].map((i) => boolq.example("validation", i)));
    const p = (d: typeof b0.doc) => `${d.passage}\nQuestion: ${d.question}?\nAnswer:`;
    const yn = (d: typeof b0.doc) => (d.label ? "yes" : "no");
    assert.equal(
      await promptText(boolq, b0, { shots: 2 }),
      `${p(b1.doc)}${yn(b1.doc)}\n###\n${p(b2.doc)}${yn(b2.doc)}\n###\n${p(b0.doc)}`,
    );
    assert.equal(await promptText(boolq, b2, { shots: 1 }), `${p(b0.doc)}${yn(b0.doc)}\n###\n${p(b2.doc)}`);

    // MMLU shots come from the same subject's dev rows.
    const mmlu = openDataset("mmlu", OPTS);
    const test = (await mmlu.split("test")).docs;
    const id = test.findIndex((d) => d.subject === "virology");
    const text = await promptText(mmlu, await mmlu.example("test", id), { shots: 2 });
    const parts = text.split("\n###\n");
    assert.equal(parts.length, 3);
    for (const part of parts) {
      assert.ok(
        part.startsWith("The following are multiple choice questions (with answers) about virology.\n\n"),
      );
    }
    assert.match(parts[0], /\nAnswer:[ABCD]$/);
  },
);

Deno.test(
  "gsm8k: 'Q: {question}\\nA: ' after the first k of the eight CoT demos in the draw's order",
  needsMirror,
  async () => {
    const gsm8k = openDataset("gsm8k", OPTS);
    const ex = await gsm8k.example("test", 0);
    const zero = await promptText(gsm8k, ex);
    assert.equal(zero, `Q: ${ex.doc.question}\nA: `);
    assert.ok(zero.startsWith("Q: Janet\u2019s ducks lay 16 eggs per day."));
    const demoOrder = [3, 0, 7, 1, 2, 4, 5, 6];
    const three = await promptText(gsm8k, ex, { shots: 3, demoOrder });
    assert.ok(three.endsWith(`\n\n${zero}`));
    const demos = three.slice(0, -zero.length).split("\n\n").filter((s) => s);
    assert.equal(demos.length, 3);
    for (const d of demos) assert.match(d, /^Q: .+\nA: .+ The answer is \d+\.$/s);
    assert.match(demos[1], /^Q: There are 15 trees/, "demo 0 of create_demo_text second, as the order says");
    const all = await promptText(gsm8k, ex, { shots: 8, demoOrder });
    assert.equal(new Set(all.split("\n\n").filter((s) => s.startsWith("Q: There are 15 trees"))).size, 1);
    await assert.rejects(promptText(gsm8k, ex, { shots: 3 }), /GSM8K's demos need the demo order/);
    await assert.rejects(promptText(gsm8k, ex, { shots: 9, demoOrder }), /GSM8K has 8 demos, not 9/);
  },
);

Deno.test("humaneval prompt, corpora text, sentence pairs", needsMirror, async () => {
  const he = openDataset("humaneval", OPTS);
  const h0 = await he.example("test", 0);
  assert.equal(await promptText(he, h0), h0.doc.prompt);
  assert.ok((h0.doc.prompt as string).startsWith("from typing import List\n\n\ndef has_close_elements("));

  const wiki = openDataset("wikitext2", OPTS);
  assert.equal(await promptText(wiki, await wiki.example("test", 1)), " = Robert Boulter = \n");
  await assert.rejects(
    promptText(wiki, await wiki.example("test", 1), { shots: 1 }),
    /a corpus has no few-shot form/,
  );

  const stsb = openDataset("stsb", OPTS);
  const s0 = await stsb.example("validation", 0);
  assert.deepEqual(pairTexts(stsb, s0), {
    a: "A man with a hard hat is dancing.",
    b: "A man wearing a hard hat is dancing.",
    score: 5,
  });
  await assert.rejects(promptText(stsb, s0), /a sentence-pair dataset has two inputs/);
  const sick = openDataset("sick", OPTS);
  assert.equal(pairTexts(sick, await sick.example("validation", 0)).score > 0, true);
  assert.throws(
    () => pairTexts(he, h0),
    /Cannot read the sentence pair of humaneval: it is a generation dataset/,
  );
});
