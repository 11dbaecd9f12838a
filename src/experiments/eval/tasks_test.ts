import assert from "node:assert/strict";
import { CHOICE_TASKS, DEFAULT_EVAL_TASKS, evalTasks, openEvalTasks } from "./tasks.ts";

Deno.test("evalTasks: the dataset file's split per scoring unless the splits map names another", () => {
  const splits = { boolq: "validation-first200", c4: "train-first100" };
  assert.deepEqual(evalTasks(["wikitext2", "boolq", "mmlu"], { splits }), [
    { name: "wikitext2", kind: "perplexity", split: "test" },
    { name: "boolq", kind: "multiple-choice", split: "validation-first200" },
    { name: "mmlu", kind: "multiple-choice", split: "test" },
  ]);
  // The paper's eval_one_shot reads MMLU's validation split (lib/dataset/mmlu.py get_mmlu).
  assert.deepEqual(evalTasks(["mmlu", "siqa"], { scoring: "paper" }).map((t) => t.split), [
    "validation",
    "validation",
  ]);
  // A split for a dataset that is no evaluation task does not make it one.
  assert.throws(
    () => evalTasks(["c4"], { splits }),
    /Cannot evaluate "c4": it is a perplexity-corpus/,
  );
});

Deno.test("the default task lists come from the registry, in the order of the paper's Table 1", () => {
  assert.deepEqual(DEFAULT_EVAL_TASKS, ["wikitext2", "boolq", "siqa", "piqa", "hellaswag", "mmlu"]);
  assert.deepEqual(CHOICE_TASKS, ["boolq", "siqa", "piqa", "hellaswag", "mmlu"]);
});

Deno.test("openEvalTasks reads a replaced split from the repository's embedded piece", async () => {
  const cache = await Deno.makeTempDir({ prefix: "actpat_eval_tasks_" });
  try {
    const [opened] = await openEvalTasks(evalTasks(["piqa"], { splits: { piqa: "validation-first200" } }), {
      mirror: null,
      cache,
      download: false,
    });
    assert.ok("dataset" in opened, JSON.stringify(opened));
    const split = await opened.dataset.split("validation-first200");
    assert.equal(split.docs.length, 200);
    assert.ok(split.files.every((f) => f.from === "embedded"));
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
});
