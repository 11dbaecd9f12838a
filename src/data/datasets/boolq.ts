import { z } from "zod";
import { defineDataset } from "../dataset_spec.ts";
import { hubParquet, piece, record } from "./_sources.ts";

const boolqFromHub = (rows: unknown[]) =>
  rows.map((r) => ({
    question: record(r).question,
    passage: record(r).passage,
    label: record(r).answer ? 1 : 0,
  }));
const boolqFromPublisher = ([rows]: unknown[][]) =>
  rows.map((r) => ({ ...boolqFromHub([r])[0], title: record(r).title }));

export const boolq = defineDataset({
  name: "boolq",
  title: "BoolQ (Clark et al. 2019)",
  kind: "multiple-choice",
  licence: "CC BY-SA 3.0",
  homepage: "https://github.com/google-research-datasets/boolean-questions",
  doc: z.object({
    question: z.string(),
    passage: z.string(),
    title: z.string().optional().describe("Wikipedia title (publisher files only)"),
    label: z.union([z.literal(0), z.literal(1)]).describe("1 = yes (publisher `answer: true`)"),
  }),
  splits: {
    validation: {
      rows: 3270,
      sources: [
        {
          origin: "publisher",
          files: [{
            file: "dev.jsonl",
            format: "jsonl",
            url: "https://storage.googleapis.com/boolq/dev.jsonl",
            sha256: "ebc29ea3808c5c611672384b3de56e83349fe38fc1fe876fd29b674d81d0a80a",
            bytes: 2238726,
          }],
          toDocs: boolqFromPublisher,
        },
        hubParquet("google/boolq", "data/validation-00000-of-00001.parquet", boolqFromHub),
      ],
    },
    train: {
      rows: 9427,
      sources: [
        {
          origin: "publisher",
          files: [{
            file: "train.jsonl",
            format: "jsonl",
            url: "https://storage.googleapis.com/boolq/train.jsonl",
          }],
          toDocs: boolqFromPublisher,
        },
        hubParquet("google/boolq", "data/train-00000-of-00001.parquet", boolqFromHub),
      ],
    },
    "validation-first200": piece("validation", 200, [{
      file: "dev.first200.jsonl",
      format: "jsonl",
      sha256: "7fcf8bc91eae03f01d53a0cfe6b08413bf2852262c8840f25d236e1658a99ea9",
      bytes: 140219,
      prefixOf: { file: "dev.jsonl", lines: 200 },
    }], boolqFromPublisher),
  },
  sampleSplit: "validation",
  calibration: {
    split: "train",
    style: "prompts",
    reference: "lib/dataset/boolq.py get_boolq_calibration",
  },
  task: {
    reference: "lm_eval/tasks/super_glue/boolq/default.yaml @0d03a9f3",
    split: "validation",
    metrics: ["acc"],
    docToText: (doc) => `${doc.passage}\nQuestion: ${doc.question}?\nAnswer:`,
    docToChoice: () => ["no", "yes"],
    docToTarget: (doc) => doc.label,
  },
  paper: {
    reference: "lib/dataset/boolq.py get_boolq",
    prompt: (doc) => `${doc.passage}\nQuestion: ${doc.question}?\nAnswer:`,
    answer: (doc) => ["no", "yes"][doc.label],
    shotSplit: "validation",
    eval: {
      reference:
        "lib/dataset/__init__.py eval_one_shot, lib/dataset/boolq.py get_boolq(label=True), eval_boolq",
      split: "validation",
      choices: ["no", "yes"],
      readsFirstRows: true,
    },
  },
});
