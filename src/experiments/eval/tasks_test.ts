import assert from "node:assert/strict";
import { EVAL_SPLITS, evalTasks, openEvalTasks } from "./tasks.ts";

Deno.test("evalTasks: lm-eval's split per task unless the splits map names another", () => {
  const tasks = evalTasks(["wikitext2", "boolq", "mmlu"], {
    boolq: "validation-first200",
    c4: "train-first100",
  });
  assert.deepEqual(tasks, [
    { name: "wikitext2", kind: "perplexity", split: EVAL_SPLITS.wikitext2 },
    { name: "boolq", kind: "multiple-choice", split: "validation-first200" },
    { name: "mmlu", kind: "multiple-choice", split: "test" },
  ]);
  // A split for a dataset that is no evaluation task does not make it one.
  assert.throws(
    () => evalTasks(["c4"], { c4: "train-first100" }),
    /Cannot evaluate "c4": it is a perplexity-corpus/,
  );
});

Deno.test("openEvalTasks reads a replaced split from the repository's embedded piece", async () => {
  const cache = await Deno.makeTempDir({ prefix: "actpat_eval_tasks_" });
  try {
    const [opened] = await openEvalTasks(evalTasks(["piqa"], { piqa: "validation-first200" }), {
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
