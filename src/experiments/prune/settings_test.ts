import assert from "node:assert/strict";
import { defaultPruneConfig } from "./prune.ts";
import { pruneConfigOf, PruneSettings } from "./settings.ts";

Deno.test("PruneSettings' defaults are defaultPruneConfig's, field by field", () => {
  const fixed = { method: "magnitude", allocation: "owl" } as const;
  assert.deepEqual(pruneConfigOf(PruneSettings.parse({}), fixed), defaultPruneConfig(fixed));
});

Deno.test("pruneConfigOf places every setting where PruneConfig keeps it", () => {
  const s = PruneSettings.parse({
    sparsity: 0.7,
    sparsityType: "2:4",
    calibration: "mmlu:auxiliary_train",
    nsamples: 16,
    seqLen: 64,
    seed: 3,
    batchSize: 2,
    paperList: "llama2-7b",
    alpha: 0.64,
    beta: 0.1,
    std: "sample",
    densityFrom: "/runs/d",
    densityDataset: "c4",
    gamma: "2e-6",
    densitySamples: 8,
    densityMaxLen: 32,
    lambda: 0.2,
    owlM: 7,
    owlSeqLen: 48,
  });
  const c = pruneConfigOf(s, { method: "wanda", allocation: "activation-formula" });
  assert.deepEqual(c, {
    method: "wanda",
    allocation: "activation-formula",
    sparsity: 0.7,
    pattern: "2:4",
    calibration: { dataset: "mmlu", split: "auxiliary_train" },
    nsamples: 16,
    seqLen: 64,
    seed: 3,
    batchSize: 2,
    paperList: "llama2-7b",
    activation: {
      alpha: 0.64,
      beta: 0.1,
      std: "sample",
      densityFrom: "/runs/d",
      densityDataset: "c4",
      gamma: { kind: "absolute", value: 2e-6, text: "2e-6" },
      samples: 8,
      maxLen: 32,
    },
    owl: { lambda: 0.2, M: 7, seqLen: 48 },
  });
  assert.throws(() => PruneSettings.parse({ sparsity: 1 }));
  assert.throws(() => PruneSettings.parse({ lambda: 1.5 }));
  assert.throws(() => PruneSettings.parse({ paperList: "gpt2" }));
});
