import assert from "node:assert/strict";
import { join } from "node:path";
import { tempDir } from "../../test/fixtures/temp_dir.ts";
import { writeCsv } from "./csv.ts";
import { formatPublished, loadPublished, publishedBeside, publishedModel } from "./published.ts";

Deno.test("published.json: every value has a source; Tables 1-3 complete (4×3×6, 3×2×6, 3×2 cells)", async () => {
  const p = await loadPublished();
  const count = (table: string) => p.values.filter((v) => v.table === table).length;
  assert.equal(count("Table 1"), 72);
  assert.equal(count("Table 2"), 36);
  assert.equal(count("Table 3"), 6);
  assert.equal(count("Figure 6"), 81);
  for (const v of p.values) assert.match(v.source, /^AAAI 2025, /, JSON.stringify(v));
  // Spot checks against the paper's Table 1 (Llama2-7B) and Table 3, and the α, β, γ of its text.
  const find = (table: string, model: string | null, row: string, column: RegExp) =>
    p.values.find((v) => v.table === table && v.model === model && v.row === row && column.test(v.column))!;
  assert.equal(find("Table 1", "llama2-7b", "Wanda(ours)", /wikitext2/).value, 6.39);
  assert.equal(find("Table 1", "llama2-7b", "Dense", /MMLU/).value, 42.19);
  assert.equal(find("Table 3", "llama2-7b", "Llama2-7B", /STS-B/).value, 0.66);
  assert.equal(find("text", null, "Validation 1", /^alpha$/).value, 2);
  assert.equal(find("text", null, "Validation 1 (32 layers)", /^gamma$/).value, 2e-5);
  assert.equal(publishedModel(p, "meta-llama/Llama-2-7b-hf"), "llama2-7b");
  assert.equal(publishedModel(p, "stories260K-hf"), null);
});

Deno.test("publishedBeside: a run's table1.csv beside Table 1, accuracy as percent; other models get none", async () => {
  await using tmp = await tempDir();
  const stage = join(tmp.path, "04-table1");
  await Deno.mkdir(stage);
  await writeCsv(join(stage, "table1.csv"), [
    { name: "method", type: "string", description: "method" },
    { name: "allocation", type: "string", description: "allocation" },
    { name: "task", type: "string", description: "task" },
    { name: "metric", type: "string", description: "metric" },
    { name: "value", type: "number", description: "value" },
  ], [
    { method: "wanda", allocation: "paper-lists", task: "wikitext2", metric: "ppl", value: 6.5 },
    { method: "wanda", allocation: "paper-lists", task: "boolq", metric: "acc", value: 0.75 },
  ]);
  const p = await loadPublished();
  const pairs = await publishedBeside(tmp.path, "meta-llama/Llama-2-7b-hf", p);
  const ours = pairs.filter((x) => x.table === "Table 1" && x.row === "Wanda(ours)");
  assert.equal(ours.length, 6);
  assert.deepEqual(ours.slice(0, 2).map((x) => [x.published, x.reproduced, x.where]), [
    [6.39, 6.5, "04-table1/table1.csv"],
    [76.95, 75, "04-table1/table1.csv"],
  ]);
  assert.equal(ours[2].reproduced, null);
  assert.match(ours[2].where, /no matching row/);
  assert.ok(pairs.some((x) => x.table === "Table 2" && x.where === "no transfer.csv in the run"));
  assert.match(
    formatPublished(pairs),
    /published vs reproduced[\s\S]*Table 1\s+Wanda\(ours\)\s+wikitext2.*6\.39\s+6\.5/,
  );
  assert.deepEqual(await publishedBeside(tmp.path, "stories260K-hf", p), []);
});
