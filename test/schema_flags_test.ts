/**
 * Task flags derived from the experiments' zod settings (tasks/_schema_flags.ts): one flag per field, read
 * with the field's type and validated by the same schema the reproduce config uses.
 */
import assert from "node:assert/strict";
import { MassiveSettings } from "../src/experiments/massive/settings.ts";
import { StsSettings } from "../src/experiments/sts/settings.ts";
import { flagNames, schemaFlags, schemaHelp, schemaValues } from "../tasks/_schema_flags.ts";
import { runTask } from "./fixtures/run_task.ts";
import { UsageError } from "../src/util/errors.ts";

Deno.test("schemaFlags: a flag per settings field, kebab-case or renamed, booleans as booleans", () => {
  assert.deepEqual(flagNames(MassiveSettings, { corpora: "corpus" }), {
    sequences: "sequences",
    seqLen: "seq-len",
    corpora: "corpus",
    absolute: "absolute",
    ratio: "ratio",
    pplWindows: "ppl-windows",
    intervention: "intervention",
  });
  assert.deepEqual(Object.keys(schemaFlags(StsSettings)), ["benchmarks", "split", "samples", "layers"]);
  assert.ok(Object.values(schemaFlags(StsSettings)).every((o) => o.type === "string"));
});

Deno.test("schemaValues: typed values, task defaults, then the schema's; equal to a config's parse", () => {
  const flags = { "seq-len": "64", corpus: "wikitext2,c4", ratio: "500" };
  const got = schemaValues(MassiveSettings, flags, {
    rename: { corpora: "corpus" },
    defaults: { sequences: 10 },
  });
  const config = { sequences: 10, seqLen: 64, corpora: ["wikitext2", "c4"], ratio: 500 };
  assert.deepEqual(got, MassiveSettings.parse(config));
  assert.deepEqual(got, {
    ...config,
    absolute: 100,
    pplWindows: null,
    intervention: "threshold",
  });
  assert.deepEqual(
    schemaValues(StsSettings, { benchmarks: "sick", samples: "12" }, {
      defaults: { split: "dev", layers: ["1-2"] },
    }),
    { benchmarks: ["sick"], split: "dev", samples: 12, layers: ["1-2"] },
  );
});

Deno.test("schemaValues: what the schema refuses is Cannot parse --flag, naming the value", () => {
  const cases: [Record<string, string>, RegExp][] = [
    [
      { "seq-len": "6.5", corpus: "c4", sequences: "1" },
      /^Cannot parse --seq-len: "6\.5" is not an integer$/,
    ],
    [{ "seq-len": "x", corpus: "c4", sequences: "1" }, /^Cannot parse --seq-len: "x" is not a number$/],
    [{ "seq-len": "8", corpus: "c4", sequences: "0" }, /^Cannot parse --sequences: "0" is not > 0$/],
    [{ "seq-len": "8", corpus: "", sequences: "2" }, /^Cannot parse --corpus: "" needs at least 1 entries$/],
    [
      { "seq-len": "8", corpus: "c4", sequences: "2", intervention: "x" },
      /^Cannot parse --intervention: "x" is not one of threshold, paper$/,
    ],
    [{ corpus: "c4", sequences: "2" }, /^Cannot parse --seq-len: .*\(no --seq-len given\)$/],
  ];
  for (const [flags, want] of cases) {
    assert.throws(
      () => schemaValues(MassiveSettings, flags, { rename: { corpora: "corpus" } }),
      (err: Error) => err instanceof UsageError && want.test(err.message),
      JSON.stringify(flags),
    );
  }
  assert.match(
    schemaHelp(StsSettings, { defaults: { samples: 256 } }),
    /--samples +pairs per benchmark \(default 256\)/,
  );
});

Deno.test("sts and massive take their settings' flags: a bad value exits 2 before any model loads", async () => {
  const sts = await runTask("sts.ts", ["--model", "/nonexistent/model", "--samples", "x1"]);
  assert.equal(sts.code, 2, sts.stderr);
  assert.match(sts.stderr, /error: Cannot parse --samples: "x1"/);
  const massive = await runTask("massive.ts", [
    "--model",
    "/nonexistent/model",
    "--seq-len",
    "8",
    "--absolute",
    "0",
  ]);
  assert.equal(massive.code, 2, massive.stderr);
  assert.match(massive.stderr, /error: Cannot parse --absolute: "0" is not > 0/);
});
