import { z } from "zod";
import { ActpatError } from "../../util/errors.ts";
import { defineDataset } from "../dataset_spec.ts";
import { hubParquet, LETTERS, PARQUET_BRANCH, piece, record } from "./_sources.ts";
import { hellaswagPreprocess, hellaswagQuery } from "./_hellaswag.ts";

const HELLASWAG_DATA = "https://raw.githubusercontent.com/rowanz/hellaswag/master/data";
/** HellaSwag rows: the publisher's jsonl has an integer label, the hub's parquet a string ("" on test). */
const hellaswagRows = (rows: unknown[]) =>
  rows.map((r) => {
    const label = record(r).label;
    return {
      ...record(r),
      label: label === "" || label === undefined || label === null ? null : Number(label),
    };
  });
const hellaswagSplit = (publisher: string, hub: string, rows: number) => ({
  rows,
  sources: [
    {
      origin: "publisher" as const,
      files: [{ file: publisher, format: "jsonl" as const, url: `${HELLASWAG_DATA}/${publisher}` }],
      toDocs: ([r]: unknown[][]) => hellaswagRows(r),
    },
    hubParquet("Rowan/hellaswag", `default/${hub}/0000.parquet`, hellaswagRows, PARQUET_BRANCH),
  ],
});

export const hellaswag = defineDataset({
  name: "hellaswag",
  title: "HellaSwag (Zellers et al. 2019)",
  kind: "multiple-choice",
  licence: "MIT",
  homepage: "https://rowanzellers.com/hellaswag/",
  doc: z.object({
    ind: z.number().int(),
    activity_label: z.string(),
    ctx_a: z.string(),
    ctx_b: z.string(),
    ctx: z.string(),
    endings: z.array(z.string()).length(4),
    source_id: z.string(),
    split: z.string(),
    split_type: z.string(),
    label: z.number().int().min(0).max(3).nullable().describe(
      "gold ending; null on the unlabelled test split",
    ),
  }),
  splits: {
    validation: hellaswagSplit("hellaswag_val.jsonl", "validation", 10042),
    train: hellaswagSplit("hellaswag_train.jsonl", "train", 39905),
    // 200 raw validation rows: the first 200 lines of the mirror's 1000-row piece (rows shuffled, ind kept).
    "validation-subset200": piece("validation", 200, [{
      file: "hellaswag_val.subset1000.first200.jsonl",
      format: "jsonl",
      sha256: "83a2e313129ee4cdb7200b7c0712225595ac56f3c458248d5d97fae5cd3a629d",
      bytes: 148854,
      prefixOf: { file: "samples/hellaswag_val.subset1000.jsonl", lines: 200 },
    }], ([rows]) => hellaswagRows(rows)),
    // The mirror's real piece (../shared/hub/datasets/hellaswag/samples/SOURCE.md): 1000 raw validation rows,
    // every field, shuffled by its publisher.
    "validation-subset1000": piece("validation", 1000, [{
      file: "samples/hellaswag_val.subset1000.jsonl",
      format: "jsonl",
      sha256: "79b87117cffba9878961284f233797c5ebeba4193cb48a93eabc4a5a1156cc45",
      bytes: 747257,
    }], ([rows]) => hellaswagRows(rows)),
  },
  sampleSplit: "validation",
  calibration: {
    split: "train",
    style: "prefill",
    reference: "lib/dataset/hellaswag.py get_hellaswag_calibration",
  },
  task: {
    reference: "lm_eval/tasks/hellaswag/hellaswag.yaml @05480a11, utils.py @0a9cc282",
    split: "validation",
    metrics: ["acc", "acc_norm"],
    docToText: (doc) => hellaswagQuery(doc),
    docToChoice: (doc) => doc.endings.map(hellaswagPreprocess),
    docToTarget: (doc) => {
      if (doc.label === null) throw new ActpatError("score hellaswag", `example ${doc.ind} has no label`);
      return doc.label;
    },
  },
  paper: {
    reference: "lib/dataset/hellaswag.py gen_prompt",
    prompt: (doc) =>
      `The following are multiple choice to finish a sentence (with answer) about ${doc.activity_label}.\n\n` +
      `${doc.ctx}...\nHow does the description likely end?\n\n` +
      doc.endings.map((e, i) => `${LETTERS[i]}. ${e}\n\n`).join("") + "Answer:",
    answer: (doc) => LETTERS[doc.label ?? 0],
    shotSplit: "validation",
    eval: {
      reference:
        "lib/dataset/__init__.py eval_one_shot, lib/dataset/hellaswag.py get_hellaswag(label=True), eval_hellaswag",
      split: "validation",
      choices: LETTERS,
    },
  },
});
