import { z } from "zod";
import { defineDataset } from "../dataset_spec.ts";
import { hubParquet, LETTERS, PARQUET_BRANCH, piece, record, withLabels } from "./_sources.ts";

const SIQA_REPO = "https://raw.githubusercontent.com/cicl-stanford/procedural-evals-tom/" +
  "fe647d680bddb69f738519313bed625f9e93b549/data/social_iqa";

export const siqa = defineDataset({
  name: "siqa",
  title: "Social IQa (Sap et al. 2019)",
  kind: "multiple-choice",
  licence: "CC BY 4.0",
  homepage: "https://allenai.org/data/socialiqa",
  doc: z.object({
    context: z.string(),
    question: z.string(),
    answerA: z.string(),
    answerB: z.string(),
    answerC: z.string(),
    label: z.union([z.literal(1), z.literal(2), z.literal(3)]).describe("1 = answerA (publisher numbering)"),
  }),
  splits: {
    validation: {
      rows: 1954,
      sources: [
        {
          // The publisher ships a zip; these are its dev files, byte-identical (see SOURCE.md), at a pinned commit.
          origin: "publisher",
          files: [
            {
              file: "dev.jsonl",
              format: "jsonl",
              url: `${SIQA_REPO}/dev.jsonl`,
              sha256: "d8128dfe60783a9971b954ca82dd57b87b05d5d40468876d51a8e1ad2c557465",
              bytes: 474440,
            },
            {
              file: "dev-labels.lst",
              format: "lines",
              url: `${SIQA_REPO}/dev-labels.lst`,
              sha256: "2d882ff71969d3980d37dd07aecdf9093c6e63e27c670f3a203bcf3b9b74bc05",
              bytes: 3908,
            },
          ],
          toDocs: ([rows, labels]) => withLabels(rows, labels, "dev-labels.lst"),
        },
        hubParquet(
          "allenai/social_i_qa",
          "default/validation/0000.parquet",
          (rows) => rows.map((r) => ({ ...record(r), label: Number(record(r).label) })),
          PARQUET_BRANCH,
        ),
      ],
    },
    train: {
      rows: 33410,
      sources: [hubParquet(
        "allenai/social_i_qa",
        "default/train/0000.parquet",
        (rows) => rows.map((r) => ({ ...record(r), label: Number(record(r).label) })),
        PARQUET_BRANCH,
      )],
    },
    "validation-first200": piece("validation", 200, [
      {
        file: "dev.first200.jsonl",
        format: "jsonl",
        sha256: "658d6cd2ccd2b26319d0cdc30d94a973f64ccdbf6dd8abb02caab848b6563142",
        bytes: 47857,
        prefixOf: { file: "dev.jsonl", lines: 200 },
      },
      {
        file: "dev-labels.first200.lst",
        format: "lines",
        sha256: "31852c8a50b54dc2d057f3d9dd70ba91c6c6496924eb6180c06ac765edaf4ece",
        bytes: 400,
        prefixOf: { file: "dev-labels.lst", lines: 200 },
      },
    ], ([rows, labels]) => withLabels(rows, labels, "dev-labels.first200.lst")),
  },
  sampleSplit: "validation",
  calibration: {
    split: "train",
    style: "prefill",
    reference: "lib/dataset/siqa.py get_siqa_calibration",
  },
  task: {
    reference: "lm_eval/tasks/siqa/siqa.yaml @470fb31c (task social_iqa)",
    split: "validation",
    metrics: ["acc"],
    docToText: (doc) => `Q: ${doc.context} ${doc.question}\nA:`,
    docToChoice: (doc) => [doc.answerA, doc.answerB, doc.answerC],
    docToTarget: (doc) => doc.label - 1,
  },
  paper: {
    reference: "lib/dataset/siqa.py gen_prompt",
    prompt: (doc) =>
      "The following are multiple choice questions (with answers) about social interaction.\n" +
      `${doc.context}\n${doc.question}\nA. ${doc.answerA}\nB. ${doc.answerB}\nC. ${doc.answerC}\nAnswer:`,
    answer: (doc) => LETTERS[doc.label - 1],
    shotSplit: "validation",
    eval: {
      reference: "lib/dataset/__init__.py eval_one_shot, lib/dataset/siqa.py get_siqa(label=True), eval_siqa",
      split: "validation",
      choices: ["A", "B", "C"],
    },
  },
});
