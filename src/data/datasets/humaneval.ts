import { z } from "zod";
import { defineDataset } from "../dataset_spec.ts";
import { hubParquetAsIs, publisherAsIs } from "./_sources.ts";

export const humaneval = defineDataset({
  name: "humaneval",
  title: "HumanEval (Chen et al. 2021)",
  kind: "generation",
  licence: "MIT",
  homepage: "https://github.com/openai/human-eval",
  doc: z.object({
    task_id: z.string(),
    prompt: z.string(),
    canonical_solution: z.string(),
    test: z.string(),
    entry_point: z.string(),
  }),
  splits: {
    test: {
      rows: 164,
      sources: [
        publisherAsIs({
          file: "HumanEval.jsonl.gz",
          format: "jsonl.gz",
          url: "https://raw.githubusercontent.com/openai/human-eval/master/data/HumanEval.jsonl.gz",
          // Digest of the mirror copy (its SOURCE.md states no checksum).
          sha256: "b796127e635a67f93fb35c04f4cb03cf06f38c8072ee7cee8833d7bee06979ef",
          bytes: 44877,
        }),
        hubParquetAsIs("openai/openai_humaneval", "openai_humaneval/test-00000-of-00001.parquet"),
      ],
    },
  },
  sampleSplit: "test",
  task: {
    // The original harness (openai/human-eval) completes the bare prompt; lm-eval variants append instructions.
    reference: "openai/human-eval evaluation (prompt as is); target = test + check(entry_point)",
    docToText: (doc) => doc.prompt,
    docToTarget: (doc) => `${doc.test}\ncheck(${doc.entry_point})`,
  },
  paper: { reference: "lib/dataset/__init__.py get_humaneval", prompt: (doc) => doc.prompt },
});
