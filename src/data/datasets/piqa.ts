import { z } from "zod";
import { defineDataset } from "../dataset_spec.ts";
import { hubParquetAsIs, PARQUET_BRANCH, piece, withLabels } from "./_sources.ts";

export const piqa = defineDataset({
  name: "piqa",
  title: "PIQA (Bisk et al. 2020)",
  kind: "multiple-choice",
  licence: "AFL 3.0",
  homepage: "https://yonatanbisk.com/piqa/",
  doc: z.object({
    goal: z.string(),
    sol1: z.string(),
    sol2: z.string(),
    label: z.union([z.literal(0), z.literal(1)]).describe("0 = sol1, 1 = sol2"),
  }),
  splits: {
    validation: {
      rows: 1838,
      sources: [
        {
          origin: "publisher",
          files: [
            {
              file: "valid.jsonl",
              format: "jsonl",
              url: "https://yonatanbisk.com/piqa/data/valid.jsonl",
              sha256: "93503cc97c679e459b065c3d13e848282e44b2a25213985bed3e5d458abef72d",
              bytes: 495929,
            },
            {
              file: "valid-labels.lst",
              format: "lines",
              url: "https://yonatanbisk.com/piqa/data/valid-labels.lst",
              sha256: "b4192dc3a2a0363d9d60ccf79800cbbe2f32ebb17726efdde6970e0b8131bceb",
              bytes: 3676,
            },
          ],
          toDocs: ([rows, labels]) => withLabels(rows, labels, "valid-labels.lst"),
        },
        hubParquetAsIs("ybisk/piqa", "plain_text/validation/0000.parquet", PARQUET_BRANCH),
      ],
    },
    train: {
      rows: 16113,
      sources: [
        {
          origin: "publisher",
          files: [
            { file: "train.jsonl", format: "jsonl", url: "https://yonatanbisk.com/piqa/data/train.jsonl" },
            {
              file: "train-labels.lst",
              format: "lines",
              url: "https://yonatanbisk.com/piqa/data/train-labels.lst",
            },
          ],
          toDocs: ([rows, labels]) => withLabels(rows, labels, "train-labels.lst"),
        },
        hubParquetAsIs("ybisk/piqa", "plain_text/train/0000.parquet", PARQUET_BRANCH),
      ],
    },
    "validation-first200": piece("validation", 200, [
      {
        file: "valid.first200.jsonl",
        format: "jsonl",
        sha256: "d2266cec1b561bf07d73d7af3b9e8c111cd101d34387ed036f309920c9c74691",
        bytes: 54715,
        prefixOf: { file: "valid.jsonl", lines: 200 },
      },
      {
        file: "valid-labels.first200.lst",
        format: "lines",
        sha256: "27d1b7608012cd6dc5c9273da17bca0622f5cd48d523a84f7a5317a7e856d67b",
        bytes: 400,
        prefixOf: { file: "valid-labels.lst", lines: 200 },
      },
    ], ([rows, labels]) => withLabels(rows, labels, "valid-labels.first200.lst")),
  },
  sampleSplit: "validation",
  calibration: {
    split: "train",
    style: "answers",
    reference: "lib/dataset/piqa.py get_piqa_calibration",
  },
  task: {
    reference: "lm_eval/tasks/piqa/piqa.yaml @11d8a69c",
    split: "validation",
    metrics: ["acc", "acc_norm"],
    docToText: (doc) => `Question: ${doc.goal}\nAnswer:`,
    docToChoice: (doc) => [doc.sol1, doc.sol2],
    docToTarget: (doc) => doc.label,
  },
  paper: {
    reference: "lib/dataset/piqa.py gen_prompt",
    prompt: (doc) => `Question:${doc.goal}\n0. ${doc.sol1}\n1. ${doc.sol2}\nAnswer:`,
    answer: (doc) => String(doc.label),
    shotSplit: "validation",
    eval: {
      reference: "lib/dataset/__init__.py eval_one_shot, lib/dataset/piqa.py get_piqa(label=True), eval_piqa",
      split: "validation",
      choices: ["0", "1"],
    },
  },
});
