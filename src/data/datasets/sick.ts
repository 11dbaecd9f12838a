import { z } from "zod";
import { ActpatError } from "../../util/errors.ts";
import { defineDataset } from "../dataset_spec.ts";
import { piece } from "./_sources.ts";

const SICK_DATA = "https://raw.githubusercontent.com/brmson/dataset-sts/" +
  "e1d3375f5b3bc24f21aa4e46f96eb379e9fc1081/data/sts/sick2014";
const SICK_HEADER = ["pair_ID", "sentence_A", "sentence_B", "relatedness_score", "entailment_judgment"];
/** SICK SemEval-2014 files: TSV with the header above. */
const sickRows = ([rows]: unknown[][]) => {
  const [header, ...body] = rows as string[][];
  if (header?.join("\t") !== SICK_HEADER.join("\t")) {
    throw new ActpatError("parse SICK", `unexpected header ${JSON.stringify(header)}`);
  }
  return body.map((f) => ({
    pair_ID: Number(f[0]),
    sentence_A: f[1],
    sentence_B: f[2],
    relatedness_score: Number(f[3]),
    entailment_judgment: f[4],
  }));
};
const sickSplit = (file: string, rows: number, sha256: string, bytes: number) => ({
  rows,
  sources: [{
    origin: "publisher" as const,
    files: [{ file, format: "tsv" as const, url: `${SICK_DATA}/${file}`, sha256, bytes }],
    toDocs: sickRows,
  }],
});

export const sick = defineDataset({
  name: "sick",
  title: "SICK (Marelli et al. 2014), SemEval-2014 Task 1 release",
  kind: "sentence-pair",
  licence: "CC BY-NC-SA 3.0",
  homepage: "https://marcobaroni.org/composes/sick.html",
  doc: z.object({
    pair_ID: z.number().int(),
    sentence_A: z.string(),
    sentence_B: z.string(),
    relatedness_score: z.number().min(1).max(5),
    entailment_judgment: z.string(),
  }),
  splits: {
    train: sickSplit(
      "SICK_train.txt",
      4500,
      "266cf8047149bd1d68138dd30439f3122bff30069740ac6705bb6197d9f1b48e",
      506243,
    ),
    validation: sickSplit(
      "SICK_trial.txt",
      500,
      "5a88cfb62f8c6bd2a3cce0f2421ba2cb8c2be5ab4a800f6f01e2c64aafb7db56",
      57225,
    ),
    test: sickSplit(
      "SICK_test_annotated.txt",
      4927,
      "2b8aa806658d6fc23c6824c83776c2d4fee7556000817b5ec0f982861413b7d0",
      559979,
    ),
    // The header line and the first 300 pairs.
    "validation-first300": piece("validation", 300, [{
      file: "SICK_trial.first300.txt",
      format: "tsv",
      sha256: "df904da9d19a41351ba172a097415fc4b3373242d8eca4bc6ccf36e28e56b55d",
      bytes: 29683,
      prefixOf: { file: "SICK_trial.txt", lines: 301 },
    }], sickRows),
  },
  pair: (doc) => ({ a: doc.sentence_A, b: doc.sentence_B, score: doc.relatedness_score }),
  scoreRange: [1, 5],
});
