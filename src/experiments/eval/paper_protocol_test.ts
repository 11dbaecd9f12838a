import assert from "node:assert/strict";
import { join } from "node:path";
import { PY_RANDOM } from "../../../test/fixtures/python_random/fixtures.ts";
import { writeParquet } from "../../../test/fixtures/datasets.ts";
import { STORIES_HF } from "../../../test/fixtures/mirror.ts";
import { tempDir } from "../../../test/fixtures/temp_dir.ts";
import { referenceForward } from "../../../test/reference/llama_f64.ts";
import { readStories260K } from "../../../test/reference/stories260k.ts";
import { openDataset } from "../../data/mod.ts";
import { loadModel } from "../../model/load_model.ts";
import { defaultEvalConfig, evaluateModel } from "./evaluate.ts";
import { paperEvalPrompt } from "./paper_protocol.ts";

// The pieces the repository embeds, 200 rows each: the paper's draws run over these row counts.
const SPLITS = {
  boolq: "validation-first200",
  mmlu: "validation-first200",
  piqa: "validation-first200",
  siqa: "validation-first200",
  hellaswag: "validation-subset200",
};
// The CPython draws of make_fixtures.py for exactly this setting (seqlen 512, 33397 WikiText-2 "train" tokens).
const DRAWS = PY_RANDOM.paper.zeroShot.find((z) => z.wikitextTrainTokens === 33397)!;

// cais/mmlu all/auxiliary_train: question, subject ("" in these rows), choices, answer; the first five are
// the paper's shots.
const AUX = Array.from({ length: 6 }, (_, i) => ({
  question: `Which number comes after ${i}?`,
  subject: "",
  choices: [`${i + 1}`, `${i + 2}`, `${i}`, `${i + 3}`],
  answer: (i * 3) % 4,
}));

/** The paper's prompts transcribed from its code (lib/dataset/<task>.py gen_prompt, get_boolq, @93503116). */
function paperPrompt(task: string, d: Record<string, unknown>): string {
  const L = ["A", "B", "C", "D"];
  if (task === "boolq") return `${d.passage}\nQuestion: ${d.question}?\nAnswer:`;
  if (task === "piqa") return `Question:${d.goal}\n0. ${d.sol1}\n1. ${d.sol2}\nAnswer:`;
  if (task === "siqa") {
    return "The following are multiple choice questions (with answers) about social interaction.\n" +
      `${d.context}\n${d.question}\nA. ${d.answerA}\nB. ${d.answerB}\nC. ${d.answerC}\nAnswer:`;
  }
  if (task === "hellaswag") {
    return `The following are multiple choice to finish a sentence (with answer) about ${d.activity_label}.\n\n` +
      `${d.ctx}...\nHow does the description likely end?\n\n` +
      (d.endings as string[]).map((e, i) => `${L[i]}. ${e}\n\n`).join("") + "Answer:";
  }
  const mmlu = (r: Record<string, unknown>) =>
    `The following are multiple choice questions (with answers) about ${r.subject}.\n\n${r.question}\n` +
    (r.choices as string[]).map((c, i) => `${L[i]}. ${c}\n`).join("") + "Answer:";
  // gen_prompt_nshot(trainset, 5): gen_prompt(trainset, i) + choices[answer] + '\n###\n' for i < 5.
  return AUX.slice(0, 5).map((r) => mmlu(r) + L[r.answer] + "\n###\n").join("") + mmlu(d);
}

const CHOICES: Record<string, string[]> = {
  boolq: ["no", "yes"],
  piqa: ["0", "1"],
  siqa: ["A", "B", "C"],
  hellaswag: ["A", "B", "C", "D"],
  mmlu: ["A", "B", "C", "D"],
};

/** The gold index as the paper's eval_<task> compares it (siqa: int(lab) - 1; boolq: its answer). */
function paperGold(task: string, d: Record<string, unknown>): number {
  if (task === "siqa") return Number(d.label) - 1;
  if (task === "mmlu") return Number(d.answer);
  return Number(d.label);
}

Deno.test(
  "--scoring paper: eval_one_shot's rows as CPython draws them, MMLU's five auxiliary_train shots, the " +
    "last-token choice as the float64 reference",
  async () => {
    await using tmp = await tempDir();
    // WikiText-2 "train": the first 200 lines of the real test file, in the raw format (wiki.train.raw).
    const wiki = join(tmp.path, "datasets/wikitext-2-raw-v1");
    await Deno.mkdir(wiki, { recursive: true });
    await Deno.copyFile("datasets/wikitext-2-raw-v1/wiki.test.first200.raw", join(wiki, "wiki.train.raw"));
    const aux = join(tmp.path, "datasets/mmlu/all");
    await Deno.mkdir(aux, { recursive: true });
    await writeParquet(join(aux, "auxiliary_train-00000-of-00001.parquet"), [
      { name: "question", data: AUX.map((d) => d.question), type: "STRING" },
      { name: "subject", data: AUX.map((d) => d.subject), type: "STRING" },
      { name: "choices", data: AUX.map((d) => d.choices), type: "STRING_LIST" },
      { name: "answer", data: AUX.map((d) => d.answer), type: "INT64" },
    ]);
    const load = { mirror: tmp.path, cache: tmp.path, download: false, strictRows: false, quiet: true };
    const model = await loadModel(STORIES_HF);
    const limit = 3;
    const tasks = Object.keys(SPLITS);
    const out = await evaluateModel(
      model,
      "stories",
      defaultEvalConfig({ tasks, scoring: "paper", limit, splits: SPLITS }),
      { load, quiet: true },
    );
    assert.deepEqual(out.skipped, []);
    // acc only (the paper reports no acc_norm); MMLU 5-shot, the others 0-shot.
    assert.deepEqual(
      out.rows.map((r) => [r.task, r.metric, r.shots, r.n]),
      tasks.map((t) => [t, "acc", t === "mmlu" ? 5 : 0, limit]),
    );
    const wikiRecord = out.datasets.find((d) => d.name === "wikitext2")!;
    assert.equal(wikiRecord.split, "train");
    const { config, weights } = await readStories260K();
    for (const task of tasks) {
      const record = out.datasets.find((d) => d.name === task)!;
      // BoolQ reads rows 0..n-1 although it draws (the label=True loop); the others their shuffle's first n.
      assert.deepEqual(record.examples!.ids, DRAWS.ids[task].slice(0, limit), task);
      if (task === "boolq") assert.deepEqual(record.examples!.ids, [0, 1, 2]);
      assert.equal(record.examples!.generator, "python-random");
      assert.equal(record.examples!.after![0], "wikitext2/train×128 windows of 512");
      const dataset = openDataset(task, load);
      const split = SPLITS[task as keyof typeof SPLITS];
      const { docs } = await dataset.split(split);
      const choiceIds = CHOICES[task].map((c) => model.tokenizer.encode(c, { addBos: true }).at(-1)!);
      const items = out.items.filter((it) => it.task === task);
      for (const [k, id] of record.examples!.ids.entries()) {
        const d = docs[id];
        const text = paperPrompt(task, d);
        const shots = task === "mmlu" ? 5 : 0;
        assert.equal(
          await paperEvalPrompt(dataset, await dataset.example(split, id), shots),
          text,
          `${task} ${id}`,
        );
        const ids = model.tokenizer.encode(text, { addBos: true });
        const last = referenceForward(config, weights, ids, { lastOnly: true }).logits[0];
        const logits = choiceIds.map((c) => last[c]);
        // torch.max's index: the first maximum.
        const pred = logits.indexOf(Math.max(...logits));
        assert.equal(items[k].id, id);
        assert.equal(items[k].pred, pred, `${task} row ${id}: ${logits}`);
        assert.equal(items[k].gold, paperGold(task, d), `${task} row ${id}`);
        assert.equal(items[k].pred_norm, null);
      }
    }
    // MMLU's shots are recorded: the first five auxiliary_train rows.
    const shots = out.datasets.find((d) => d.name === "mmlu" && d.split === "auxiliary_train")!;
    assert.deepEqual(shots.examples, { seed: null, ids: [0, 1, 2, 3, 4], generator: "first-rows" });
  },
);

Deno.test("--scoring paper without WikiText-2 train skips the choice tasks, saying why", async () => {
  await using tmp = await tempDir();
  const model = await loadModel(STORIES_HF);
  const out = await evaluateModel(
    model,
    "stories",
    defaultEvalConfig({
      tasks: ["wikitext2", "boolq"],
      scoring: "paper",
      limit: 1,
      seqLen: 64,
      splits: { boolq: "validation-first200", wikitext2: "test-first200" },
    }),
    { load: { mirror: tmp.path, cache: tmp.path, download: false, quiet: true }, quiet: true },
  );
  assert.deepEqual(out.rows.map((r) => r.metric), ["ppl", "nll"]);
  assert.deepEqual(out.skipped.map((s) => s.task), ["boolq"]);
  assert.match(
    out.skipped[0].reason,
    /^the paper's evaluation rows follow eval_ppl's 128 draws over the WikiText-2 train tokens \(wanda_test\.py:128\), and wikitext2\/train cannot be had: Cannot load dataset "wikitext2"/,
  );
});
