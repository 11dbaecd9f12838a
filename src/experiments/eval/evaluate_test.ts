import assert from "node:assert/strict";
import { join } from "node:path";
import { z } from "zod";
import { referenceForward, referenceLogProbs } from "../../../test/reference/llama_f64.ts";
import { readStories260K } from "../../../test/reference/stories260k.ts";
import { tinyModel } from "../../../test/reference/tiny_models.ts";
import { needsMirror, STORIES_HF } from "../../../test/fixtures/mirror.ts";
import { runTask } from "../../../test/fixtures/run_task.ts";
import { tempDir } from "../../../test/fixtures/temp_dir.ts";
import { type DatasetHandle, DATASETS, type DatasetSpec, type Doc, openDataset } from "../../data/mod.ts";
import { LlamaRunner } from "../../model/llama/mod.ts";
import { loadModel } from "../../model/load_model.ts";
import { readCsv } from "../../results/csv.ts";
import { EVAL_SCHEMA } from "./evaluate.ts";
import { multipleChoiceAccuracy } from "./multiple_choice.ts";
import { corpusPerplexity } from "./perplexity.ts";
import { encodePair } from "./loglikelihood.ts";

/** A dataset held in memory, as the data layer hands one out. */
function handle(spec: DatasetSpec<Doc>, docs: Doc[]): DatasetHandle {
  return {
    spec,
    split: (split) =>
      Promise.resolve({
        dataset: spec.name,
        split,
        origin: "publisher",
        docs,
        officialRows: docs.length,
        files: [],
      }),
    example: (split, id) => Promise.resolve({ dataset: spec.name, split, id, doc: docs[id] }),
  };
}

const COMMON = { title: "test", licence: "none", homepage: "none", doc: z.any(), splits: {} };

Deno.test("hand-made 4-item multiple-choice task: acc 3/4 ± 0.25, as worked out by hand", async () => {
  // Each item pits a story word against gibberish; stories260K gives the word a far higher likelihood (checked
  // below against the float64 reference). Item 3's gold is the gibberish, so exactly 3 of 4 are right.
  const docs = [
    { q: "Once upon a time, there was a little girl named", choices: ["Lily", "Qzxv"], gold: 0 },
    { q: "She loved to play outside in the", choices: ["park", "xqjw"], gold: 0 },
    { q: "One day, she saw a big, red", choices: ["ball", "zzkq"], gold: 0 },
    { q: "The dog was very", choices: ["happy", "vbnqz"], gold: 1 },
  ];
  const spec = {
    ...COMMON,
    name: "handmade",
    kind: "multiple-choice",
    task: {
      reference: "test",
      split: "validation",
      metrics: ["acc", "acc_norm"],
      docToText: (d: Doc) => String(d.q),
      docToChoice: (d: Doc) => d.choices as string[],
      docToTarget: (d: Doc) => Number(d.gold),
    },
  } as DatasetSpec<Doc>;
  const model = await loadModel(STORIES_HF);
  const runner = new LlamaRunner(model, { cache: false });
  try {
    const r = await multipleChoiceAccuracy(runner, model.tokenizer, handle(spec, docs), "validation", {
      scoring: "lm-eval",
      shots: 0,
      maxLength: 512,
      quiet: true,
    });
    // mean of [1, 1, 1, 0] = 0.75; sample std = sqrt((3·0.25² + 0.75²)/3) = 0.5; stderr = 0.5/sqrt(4) = 0.25.
    assert.deepEqual(r.acc, { value: 0.75, stderr: 0.25, n: 4 });
    // Choices of (nearly) equal length: normalising by length changes no prediction.
    assert.deepEqual(r.accNorm, { value: 0.75, stderr: 0.25, n: 4 });
    assert.deepEqual(r.items.map((i) => i.pred), [0, 0, 0, 0]);
    // The log-likelihoods behind it, from the float64 reference over lm-eval's tokenization.
    const { config, weights } = await readStories260K();
    for (const d of docs) {
      const lls = d.choices.map((c) => {
        const { context, continuation } = encodePair(model.tokenizer, d.q, " " + c);
        const whole = [...context, ...continuation];
        const lp = referenceLogProbs(
          referenceForward(config, weights, whole.slice(0, -1)).logits,
          whole.slice(1),
        );
        return lp.slice(context.length - 1).reduce((a, b) => a + b, 0);
      });
      assert(lls[0] > lls[1] + 10, `${d.q}: ${lls}`);
    }
  } finally {
    await runner.release();
  }
});

Deno.test("perplexity = exp(mean NLL) of a direct float64 loop over the same windows", async () => {
  const model = tinyModel("llama3_rope", 7);
  const V = model.config.vocabSize;
  // Characters to ids: enough text for a few windows and a dropped tail.
  const tokenizer = {
    encode(text: string, options: { addBos?: boolean } = {}) {
      const ids = [...text].map((c) => 3 + (c.codePointAt(0)! % (V - 3)));
      return options.addBos ? [1, ...ids] : ids;
    },
  };
  const rows = ["The tower is 324 metres tall.\n", "", "It was the tallest man-made structure.\n"];
  const spec = { ...COMMON, name: "wikitext2", kind: "perplexity-corpus", text: (d: Doc) => String(d.text) };
  const data = handle(spec as DatasetSpec<Doc>, rows.map((text) => ({ text })));
  const seqLen = 9;
  const runner = new LlamaRunner({ config: model.config, weights: model.store }, { cache: false });
  try {
    const { result, record } = await corpusPerplexity(runner, tokenizer, data, "test", {
      seqLen,
      batchSize: 3,
    });
    const ids = tokenizer.encode(rows.join("\n\n"), { addBos: true });
    const windows = Math.floor(ids.length / seqLen);
    let sum = 0;
    for (let w = 0; w < windows; w++) {
      const win = ids.slice(w * seqLen, (w + 1) * seqLen);
      const lp = referenceLogProbs(
        referenceForward(model.config, model.weights, win.slice(0, -1)).logits,
        win.slice(1),
      );
      sum -= lp.reduce((a, b) => a + b, 0);
    }
    const want = Math.exp(sum / (windows * (seqLen - 1)));
    // float32 log-probabilities, relative error ~1e-6 per token; the mean keeps it there.
    assert(Math.abs(result.ppl - want) / want < 1e-5, `${result.ppl} vs ${want}`);
    assert.equal(result.windows, windows);
    assert.equal(result.tokens, windows * (seqLen - 1));
    assert.deepEqual(record.windows!.starts, Array.from({ length: windows }, (_, w) => w * seqLen));
    const limited = await corpusPerplexity(runner, tokenizer, data, "test", {
      seqLen,
      limit: 2,
      quiet: true,
    });
    assert.equal(limited.result.windows, 2);
  } finally {
    await runner.release();
  }
});

Deno.test(
  "paper scoring on BoolQ: last-token choice of the paper's prompt, as the float64 reference",
  needsMirror,
  async () => {
    const model = await loadModel(STORIES_HF);
    const boolq = openDataset("boolq");
    const runner = new LlamaRunner(model, { cache: false });
    try {
      const r = await multipleChoiceAccuracy(runner, model.tokenizer, boolq, "validation", {
        scoring: "paper",
        shots: 0,
        limit: 2,
        maxLength: 512,
        quiet: true,
      });
      assert.equal(r.acc.n, 2);
      assert.equal(r.accNorm, null);
      const { config, weights } = await readStories260K();
      const choices = DATASETS.get("boolq").paper!.eval!.choices;
      assert.deepEqual(choices, ["no", "yes"]);
      const choiceIds = choices.map((c) => model.tokenizer.encode(c, { addBos: true }).at(-1)!);
      const { docs } = await boolq.split("validation");
      for (let i = 0; i < 2; i++) {
        const d = docs[i];
        const prompt = `${d.passage}\nQuestion: ${d.question}?\nAnswer:`;
        const ids = model.tokenizer.encode(prompt, { addBos: true });
        const last = referenceForward(config, weights, ids, { lastOnly: true }).logits[0];
        const pred = last[choiceIds[1]] > last[choiceIds[0]] ? 1 : 0;
        assert.equal(r.items[i].pred, pred, `example ${i}`);
        assert.equal(r.items[i].gold, d.label);
      }
    } finally {
      await runner.release();
    }
  },
);

Deno.test(
  "deno task eval on stories260K: every task in the mirror, n = --limit, HellaSwag skipped, acc_norm where " +
    "lm-eval defines it, windows of the model's context",
  needsMirror,
  async () => {
    await using tmp = await tempDir();
    const out = join(tmp.path, "run");
    const res = await runTask("eval.ts", ["--model", STORIES_HF, "--limit", "3", "--out", out]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /skip hellaswag: Cannot load dataset "hellaswag"/);
    const rows = await readCsv(join(out, "eval.csv"), EVAL_SCHEMA);
    const tasks = [...new Set(rows.map((r) => r.task))];
    assert.deepEqual(tasks, ["wikitext2", "boolq", "siqa", "piqa", "mmlu"]);
    for (const r of rows) {
      if (r.metric === "nll") continue;
      assert.equal(r.n, 3, `${r.task} ${r.metric}`);
      if (String(r.metric).startsWith("acc")) assert((r.value as number) >= 0 && (r.value as number) <= 1);
    }
    // lm-eval's YAMLs: acc_norm for piqa and hellaswag only (boolq, social_iqa, mmlu list acc alone).
    assert.deepEqual(rows.filter((r) => r.metric === "acc_norm").map((r) => r.task), ["piqa"]);
    const ppl = rows.find((r) => r.metric === "ppl")!;
    assert(Number.isFinite(ppl.value) && (ppl.value as number) > 1);
    const manifest = JSON.parse(await Deno.readTextFile(join(out, "manifest.json")));
    assert.deepEqual(manifest.config.skipped.map((s: { task: string }) => s.task), ["hellaswag"]);
    const mmlu = manifest.datasets.find((d: { name: string }) => d.name === "mmlu");
    assert.deepEqual(mmlu.examples.ids, [0, 1, 2]);
    assert.equal(mmlu.split, "test");
    // --seq-len defaults to max_position_embeddings (512 for stories260K).
    const wikitext = manifest.datasets.find((d: { name: string }) => d.name === "wikitext2");
    assert.equal(wikitext.windows.seqLen, 512);
  },
);
