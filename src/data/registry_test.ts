import assert from "node:assert/strict";
import { join } from "node:path";
import { DatasetRegistry, defineDataset } from "./dataset_spec.ts";
import { DATASETS } from "./registry.ts";
import { testMirror } from "../../test/fixtures/datasets.ts";
import { z } from "zod";
import { needsMirror } from "../../test/fixtures/mirror.ts";

const NAMES = [
  "c4",
  "wikitext2",
  "c4-10k",
  "pg19",
  "boolq",
  "siqa",
  "piqa",
  "hellaswag",
  "mmlu",
  "gsm8k",
  "humaneval",
  "stsb",
  "sick",
];

Deno.test("the registry lists the thirteen datasets", () => {
  assert.deepEqual(DATASETS.names(), NAMES);
});

Deno.test("an unknown dataset throws with 'did you mean' and the known names", () => {
  assert.throws(
    () => DATASETS.get("boolk"),
    { message: `Cannot find dataset "boolk": did you mean "boolq"? (known: ${NAMES.join(", ")})` },
  );
  assert.throws(() => DATASETS.get("wikitext"), /did you mean "wikitext2"\?/);
  // Nothing near: no suggestion, just the list.
  assert.throws(() => DATASETS.get("imagenet"), {
    message: `Cannot find dataset "imagenet": (known: ${NAMES.join(", ")})`,
  });
});

Deno.test("a duplicate dataset name throws when the registry is built", () => {
  const spec = defineDataset({
    name: "x",
    title: "x",
    kind: "perplexity-corpus",
    licence: "none",
    homepage: "",
    doc: z.object({ text: z.string() }),
    splits: {},
    text: (d) => d.text,
  });
  assert.throws(() => new DatasetRegistry([spec, spec]), {
    message: 'Cannot register dataset: "x" is registered twice',
  });
});

Deno.test("every entry is complete for its kind", () => {
  for (const name of DATASETS.names()) {
    const spec = DATASETS.get(name);
    assert.ok(spec.licence && spec.title && spec.homepage, name);
    assert.ok(Object.keys(spec.splits).length > 0, name);
    for (const [split, s] of Object.entries(spec.splits)) {
      assert.ok(Number.isInteger(s.rows) && s.rows > 0, `${name}/${split} rows`);
      assert.ok(s.sources.length > 0, `${name}/${split} sources`);
      for (const src of s.sources) {
        for (const f of src.files) {
          if (f.sha256) assert.match(f.sha256, /^[0-9a-f]{64}$/, `${name}/${f.file}`);
          if (f.url) assert.match(f.url, /^https:\/\//, `${name}/${f.file}`);
          if (src.origin === "hub") assert.equal(f.format, "parquet", `${name}/${f.file}`);
        }
      }
    }
    if (spec.kind === "multiple-choice" || spec.kind === "generation") assert.ok(spec.task.reference, name);
  }
});

/** `| \`file\` | bytes | \`sha256\` | rows |` rows of a SOURCE.md table. */
function sourceTable(text: string): Map<string, { bytes: number; sha256: string }> {
  const out = new Map<string, { bytes: number; sha256: string }>();
  for (const m of text.matchAll(/^\| `([^`]+)` \| (\d+) \| `([0-9a-f]{64})` \|/gm)) {
    out.set(m[1], { bytes: Number(m[2]), sha256: m[3] });
  }
  return out;
}

Deno.test("registry checksums and sizes agree with the mirror's SOURCE.md tables", needsMirror, async () => {
  const folders: Record<string, string> = { wikitext2: "wikitext-2-raw-v1" };
  let compared = 0;
  for (const name of DATASETS.names()) {
    let text: string;
    try {
      text = await Deno.readTextFile(join(testMirror(), "datasets", folders[name] ?? name, "SOURCE.md"));
    } catch {
      continue; // c4, hellaswag: not in the mirror
    }
    const table = sourceTable(text);
    for (const s of Object.values(DATASETS.get(name).splits)) {
      for (const f of s.sources.flatMap((src) => src.files)) {
        const row = table.get(f.file);
        if (!row) continue;
        assert.equal(f.sha256, row.sha256, `${name}/${f.file} sha256`);
        assert.equal(f.bytes, row.bytes, `${name}/${f.file} bytes`);
        compared++;
      }
    }
  }
  // boolq 1, piqa 2, siqa 2, mmlu 3, gsm8k 2, stsb 3, sick 3, wikitext 1.
  assert.equal(compared, 17);
});

Deno.test("every split a dataset file names for a role is one of its splits", () => {
  for (const name of DATASETS.names()) {
    const spec = DATASETS.get(name);
    const named: string[] = [];
    if (spec.sampleSplit) named.push(spec.sampleSplit);
    if (spec.calibration) named.push(spec.calibration.split);
    if (spec.kind === "multiple-choice") {
      named.push(spec.task.split);
      if (spec.task.fewshot) named.push(spec.task.fewshot.split);
      assert.ok(spec.task.metrics.includes("acc"), `${name}: lm-eval's choice tasks all report acc`);
      // The paper's protocol exists for every choice task, with one answer string per lm-eval choice.
      const protocol = spec.paper?.eval;
      assert.ok(protocol, `${name}: no paper protocol`);
      named.push(protocol.split);
      if (protocol.shots) named.push(protocol.shots.split);
      assert.ok(spec.calibration?.style, `${name}: a task calibrates the paper's way`);
    }
    if (spec.kind === "perplexity-corpus") {
      if (spec.evalSplit) named.push(spec.evalSplit);
      if (spec.perplexity) named.push(spec.perplexity.recipe.split);
      if (spec.perplexity?.reference) named.push(spec.perplexity.reference.split);
    }
    if (spec.paper?.shotSplit) named.push(spec.paper.shotSplit);
    for (const split of named) {
      assert.ok(split in spec.splits, `${name}: "${split}" is not one of its splits`);
    }
  }
});
