import { z } from "zod";
import { defineDataset } from "../dataset_spec.ts";
import { hubParquetAsIs, LETTERS, piece, publisherAsIs } from "./_sources.ts";
import { pythonStrip } from "./_hellaswag.ts";

const mmluSplit = (split: string, rows: number, sha256: string, bytes: number) => ({
  rows,
  sources: [
    // Mirror-only: jsonl derived from the hub's Arrow files (see the mirror's SOURCE.md); no publisher URL.
    publisherAsIs({ file: `${split}.jsonl`, format: "jsonl", sha256, bytes }),
    hubParquetAsIs("cais/mmlu", `all/${split}-00000-of-00001.parquet`),
  ],
});

const mmluSubject = (doc: { subject: string }) => doc.subject.replaceAll("_", " ");

export const mmlu = defineDataset({
  name: "mmlu",
  title: "MMLU (Hendrycks et al. 2021), 57 subjects",
  kind: "multiple-choice",
  licence: "MIT",
  homepage: "https://github.com/hendrycks/test",
  doc: z.object({
    question: z.string(),
    subject: z.string().describe("e.g. abstract_algebra"),
    choices: z.array(z.string()).length(4),
    answer: z.number().int().min(0).max(3).describe("0..3 = A..D"),
  }),
  splits: {
    dev: mmluSplit("dev", 285, "1c01cdbe53d9effc28090f781fb0882c4ee4a41a84a33259d0ba9dc84ee3a6ef", 133578),
    validation: mmluSplit(
      "validation",
      1531,
      "6b16bb40f891984040514cfed326624283c4549609fbe5dd20bab2b8fc2eaf0d",
      807392,
    ),
    test: mmluSplit(
      "test",
      14042,
      "1df7771a6312b87e920c4ae1e5c0cc205164b20e231a637cd8f39accc51bc5f1",
      7370220,
    ),
    // The paper's calibration split (lib/dataset/mmlu.py line 76: load_dataset('cais/mmlu', 'all',
    // split='auxiliary_train')): 99,842 rows from other multiple-choice sets, subject "". Hub only (not in the
    // mirror): resolved through the hub on a user's machine.
    auxiliary_train: {
      rows: 99842,
      sources: [hubParquetAsIs("cais/mmlu", "all/auxiliary_train-00000-of-00001.parquet")],
    },
    // Sorted by subject: these 200 rows cover the first 14 subjects (abstract_algebra … econometrics).
    "validation-first200": piece("validation", 200, [{
      file: "validation.first200.jsonl",
      format: "jsonl",
      sha256: "c7f3ca9f12e7b07084d9f1ee2fade56d656aef8b29a9e7d778dcc184ac8b2ac9",
      bytes: 65381,
      prefixOf: { file: "validation.jsonl", lines: 200 },
    }], ([rows]) => rows),
  },
  sampleSplit: "validation",
  calibration: {
    split: "auxiliary_train",
    style: "answers",
    reference: "lib/dataset/mmlu.py get_mmlu_calibration",
  },
  task: {
    reference: "lm_eval/tasks/mmlu/default/_default_template_yaml @00859825, mmlu_<subject>.yaml",
    split: "test",
    metrics: ["acc"],
    description: (doc) =>
      `The following are multiple choice questions (with answers) about ${mmluSubject(doc)}.\n\n`,
    docToText: (doc) =>
      `${pythonStrip(doc.question)}\n` + doc.choices.map((c, i) => `${LETTERS[i]}. ${c}\n`).join("") +
      "Answer:",
    docToChoice: () => LETTERS,
    docToTarget: (doc) => doc.answer,
    fewshot: { split: "dev", sameGroup: (a, b) => a.subject === b.subject },
  },
  paper: {
    reference: "lib/dataset/mmlu.py gen_prompt",
    // The paper keeps the underscores of the subject name.
    prompt: (doc) =>
      `The following are multiple choice questions (with answers) about ${doc.subject}.\n\n${doc.question}\n` +
      doc.choices.map((c, i) => `${LETTERS[i]}. ${c}\n`).join("") + "Answer:",
    answer: (doc) => LETTERS[doc.answer],
    shotSplit: "dev",
    sameGroup: (a, b) => a.subject === b.subject,
    eval: {
      reference: "lib/dataset/__init__.py eval_one_shot, lib/dataset/mmlu.py get_mmlu(label=True), eval_mmlu",
      split: "validation",
      choices: LETTERS,
      // get_mmlu(n_shot=5): gen_prompt_nshot(trainset, 5), the first five auxiliary_train rows.
      shots: { split: "auxiliary_train", count: 5 },
    },
  },
});
