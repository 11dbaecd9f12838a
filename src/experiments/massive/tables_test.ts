import assert from "node:assert/strict";
import { formatCsv } from "../../results/csv.ts";
import {
  INTERVENTION_COLUMNS,
  interventionRows,
  LOCATION_COLUMNS,
  locationRows,
  MASSIVE_COLUMNS,
  massiveRows,
  tokenLabel,
} from "./tables.ts";

const tokenizer = {
  bosTokenId: 1,
  eosTokenId: 2,
  decode: (ids: number[]) => ({ 3: "\n", 4: " the", 5: "" } as Record<number, string>)[ids[0]] ?? "?",
};

Deno.test("token labels show whitespace, name BOS/EOS and tokens that decode to nothing", () => {
  assert.equal(tokenLabel(tokenizer, 1), "<bos>");
  assert.equal(tokenLabel(tokenizer, 2), "<eos>");
  assert.equal(tokenLabel(tokenizer, 3), '"\\n"');
  assert.equal(tokenLabel(tokenizer, 4), '" the"');
  assert.equal(tokenLabel(tokenizer, 5), "<token 5>");
});

Deno.test("rows fit their documented columns", () => {
  const label = (id: number) => tokenLabel(tokenizer, id);
  const site = {
    layer: 1,
    dimension: 7,
    position: null,
    positions: [3, 9],
    tokenId: null,
    tokenIds: [3, 4],
    mean: -2,
    std: 0.5,
    cv: 0.25,
    sequences: 2,
    massiveSequences: 0,
  };
  const [row] = locationRows([site], label);
  assert.equal(row.token, '2 tokens: "\\n" | " the"');
  assert.equal(row.positions, "3;9");
  assert.equal(row.position, null);
  const layer = {
    layer: 0,
    top1: 3,
    top2: 2,
    top3: 1,
    median: 0.5,
    ratio: 6,
    massiveSequences: 0,
    massiveEntries: 0,
  };
  assert.equal(massiveRows([layer])[0].massive, false);
  const result = { ppl: 10, meanNll: Math.log(10), tokens: 30, windows: 2 };
  const rows = interventionRows("wikitext2", 3, [
    { setting: "original", result, replaced: 0 },
    { setting: "zero", result, replaced: 4 },
  ]);
  assert.deepEqual(rows.map((r) => r.layer), [null, 3]);
  // formatCsv validates every cell against the schema (types, nullability).
  formatCsv(LOCATION_COLUMNS, [row]);
  formatCsv(MASSIVE_COLUMNS, massiveRows([layer]));
  assert.match(
    formatCsv(INTERVENTION_COLUMNS, rows),
    /^setting,corpus,layer,ppl,mean_nll,n_tokens,n_windows,n_replaced\n/,
  );
});
