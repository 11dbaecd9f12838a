import assert from "node:assert/strict";
import { type DatasetSamples, overLong } from "./samples.ts";

Deno.test("overLong counts, per dataset, the inputs longer than the model's context", () => {
  const ds = (dataset: string, lengths: number[]): [string, DatasetSamples] => [dataset, {
    dataset,
    split: "validation",
    samples: lengths.map((n, i) => ({ dataset, id: String(i), tokens: new Array(n).fill(1) })),
    records: [],
  }];
  const got = overLong(new Map([ds("boolq", [100, 726, 130, 900]), ds("siqa", [40, 128])]), 128);
  assert.deepEqual(got, {
    maxPositions: 128,
    truncation: "none",
    overLong: { boolq: { samples: 3, of: 4, longest: 900 } },
  });
});
