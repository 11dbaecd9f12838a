import { z } from "zod";
import { defineDataset } from "../dataset_spec.ts";
import { hubParquetAsIs, publisherAsIs } from "./_sources.ts";

const GSM8K_DATA = "https://raw.githubusercontent.com/openai/grade-school-math/" +
  "3101c7d5072418e28b9008a6636bde82a006892c/grade_school_math/data";
const gsm8kSplit = (split: string, rows: number, sha256: string, bytes: number) => ({
  rows,
  sources: [
    publisherAsIs({
      file: `${split}.jsonl`,
      format: "jsonl",
      url: `${GSM8K_DATA}/${split}.jsonl`,
      sha256,
      bytes,
    }),
    hubParquetAsIs("openai/gsm8k", `main/${split}-00000-of-00001.parquet`),
  ],
});

export const gsm8k = defineDataset({
  name: "gsm8k",
  title: "GSM8K (Cobbe et al. 2021), main",
  kind: "generation",
  licence: "MIT",
  homepage: "https://github.com/openai/grade-school-math",
  doc: z.object({
    question: z.string(),
    answer: z.string().describe('worked solution with <<calc>> annotations, final answer after "#### "'),
  }),
  splits: {
    train: gsm8kSplit(
      "train",
      7473,
      "17f347dc51477c50d4efb83959dbb7c56297aba886e5544ee2aaed3024813465",
      4166206,
    ),
    test: gsm8kSplit(
      "test",
      1319,
      "3730d312f6e3440559ace48831e51066acaca737f6eabec99bccb9e4b3c39d14",
      749738,
    ),
  },
  sampleSplit: "test",
  task: {
    reference: "lm_eval/tasks/gsm8k/gsm8k.yaml @03919286",
    docToText: (doc) => `Question: ${doc.question}\nAnswer:`,
    docToTarget: (doc) => doc.answer,
  },
  paper: {
    // Shots are the eight fixed chain-of-thought demos (prompts.ts), not dataset rows.
    reference: "lib/dataset/gsm8k.py gen_prompt",
    prompt: (doc) => `Q: ${doc.question}\nA: `,
  },
});
