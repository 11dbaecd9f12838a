/**
 * Every flag is parsed at the edge with one grammar: a bad `--gamma`, `--layers`, `--dtype` or `--ep` exits 2
 * with `Cannot parse --flag` before any model loads. The model given does not exist, so a task that got as
 * far as loading it would fail with `Cannot resolve model` (exit 1) instead.
 */
import assert from "node:assert/strict";
import { runTask } from "./fixtures/run_task.ts";

const NO_MODEL = "/nonexistent/model";

const CASES: [string, string[], string][] = [
  ["density.ts", ["--datasets", "mmlu", "--gamma", "q1.5"], "gamma"],
  ["density.ts", ["--datasets", "mmlu", "--gamma", "2e-6", "--dtype", "f16"], "dtype"],
  ["density.ts", ["--datasets", "mmlu", "--gamma", "2e-6", "--ep", "cdua"], "ep"],
  ["prune.ts", ["--allocation", "activation-formula", "--gamma", "x0.9"], "gamma"],
  ["table1.ts", ["--gamma=-1"], "gamma"],
  ["transfer.ts", ["--gamma", "q"], "gamma"],
  ["relevance.ts", ["--datasets", "boolq,siqa", "--layers", "3-1"], "layers"],
  ["sts.ts", ["--layers", "0.5-1.5"], "layers"],
  ["eval.ts", ["--dtype", "bf16"], "dtype"],
  ["massive.ts", ["--seq-len", "16", "--ep", "tpu"], "ep"],
  ["generate.ts", ["--prompt", "x", "--max-new-tokens", "4", "--dtype", "float8"], "dtype"],
  ["make_checkpoint.ts", ["--shape", "tiny", "--out", "/nonexistent/ck", "--dtype", "f16"], "dtype"],
  ["bench.ts", ["--shapes", NO_MODEL, "--gamma", "2e-6,q2"], "gamma"],
  ["bench.ts", ["--shapes", NO_MODEL, "--dtype", "float32,half"], "dtype"],
  ["bench.ts", ["--shapes", NO_MODEL, "--ep", "cpu,metal"], "ep"],
];

Deno.test("a bad --gamma, --layers, --dtype or --ep exits 2 with Cannot parse --flag, before any model loads", async () => {
  const results = await Promise.all(
    CASES.map(([task, args]) =>
      runTask(
        task,
        task === "make_checkpoint.ts" || task === "bench.ts" ? args : ["--model", NO_MODEL, ...args],
      )
    ),
  );
  results.forEach(({ code, stderr }, i) => {
    const [task, args, flag] = CASES[i];
    const what = `${task} ${args.join(" ")}:\n${stderr}`;
    assert.equal(code, 2, what);
    assert.match(stderr, new RegExp(`^error: Cannot parse --${flag}: `, "m"), what);
    assert.doesNotMatch(stderr, /Cannot (resolve|load) model/, what);
  });
});
