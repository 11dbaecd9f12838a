import assert from "node:assert/strict";
import type { HiddenStats } from "./hidden_stats.ts";
import { firstMassiveLayer, layerSummaries, locationSummaries } from "./summary.ts";

const a = (position: number, dimension: number, value: number) => ({ position, dimension, value });
const quiet: HiddenStats = {
  top: [a(1, 0, 2), a(2, 1, 1.5), a(0, 0, 1)],
  median: 0.5,
  massiveCount: 0,
  massive: [],
};

/** Two sequences × two layers, worked by hand; massive activations only at layer 0. */
const STATS: HiddenStats[][] = [
  [
    {
      top: [a(0, 3, 10), a(3, 2, -5), a(1, 2, -4)],
      median: 0.5,
      massiveCount: 1,
      massive: [a(0, 3, 10)],
    },
    quiet,
  ],
  [
    {
      top: [a(0, 3, 12), a(1, 2, -6), a(2, 1, 3)],
      median: 1.5,
      massiveCount: 2,
      massive: [a(0, 3, 12), a(1, 2, -6)],
    },
    quiet,
  ],
];
const SEQUENCES = [[5, 7, 9, 7], [6, 7, 8, 9]];

Deno.test("layer summaries average the per-sequence top-3 and medians (ratio of the averages)", () => {
  const [l0, l1] = layerSummaries(STATS);
  assert.deepEqual(l0, {
    layer: 0,
    top1: 11,
    top2: 5.5,
    top3: 3.5,
    median: 1,
    ratio: 11,
    massiveSequences: 2,
    massiveEntries: 1.5,
  });
  assert.equal(l1.massiveSequences, 0);
  assert.equal(l1.ratio, 4);
  assert.equal(firstMassiveLayer(STATS), 0);
  assert.equal(firstMassiveLayer(STATS.map((s) => [quiet, s[0]])), 1);
  assert.equal(firstMassiveLayer(STATS.map(() => [quiet, quiet])), null);
});

Deno.test("locations group the first token by position and later tokens by token id", () => {
  const rows = locationSummaries(STATS, SEQUENCES).filter((r) => r.layer === 0);
  assert.deepEqual(rows, [
    {
      // Position 0 in both sequences, different tokens: one site.
      layer: 0,
      dimension: 3,
      position: 0,
      positions: [0],
      tokenId: null,
      tokenIds: [5, 6],
      mean: 11,
      std: 1,
      cv: 1 / 11,
      sequences: 2,
      massiveSequences: 2,
    },
    {
      // Token 7 at positions 3 (largest of sequence 0's two) and 1: one site, massive in sequence 1 only.
      layer: 0,
      dimension: 2,
      position: null,
      positions: [1, 3],
      tokenId: 7,
      tokenIds: [7],
      mean: -5.5,
      std: 0.5,
      cv: 0.5 / 5.5,
      sequences: 2,
      massiveSequences: 1,
    },
    {
      layer: 0,
      dimension: 1,
      position: 2,
      positions: [2],
      tokenId: 8,
      tokenIds: [8],
      mean: 3,
      std: 0,
      cv: 0,
      sequences: 1,
      massiveSequences: 0,
    },
  ]);
  // Layer 1: dimension 0 at position 1 (token 7) and at position 0, dimension 1 at token 9 / 8.
  assert.equal(locationSummaries(STATS, SEQUENCES).filter((r) => r.layer === 1).length, 4);
});

Deno.test("summaries need every layer of every sequence", () => {
  assert.throws(() => layerSummaries([]), /Cannot summarize hidden states: no sequences/);
  assert.throws(() => layerSummaries([[quiet, quiet], [quiet]]), /every layer/);
});
