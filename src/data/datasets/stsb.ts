import { z } from "zod";
import { defineDataset } from "../dataset_spec.ts";
import { piece } from "./_sources.ts";

const STSB_DATA = "https://raw.githubusercontent.com/zhangzhenhu/Semantic-Texual-Similarity-Toolkits/" +
  "c55a72f51bd15a8bd75114247c06984b432050f9/data/stsbenchmark";
/** STS-B lines: genre, file, year, id, score, sentence1, sentence2 (+ up to two licence/source columns). */
const stsbRows = ([rows]: unknown[][]) =>
  (rows as string[][]).map((f) => ({
    genre: f[0],
    file: f[1],
    year: f[2],
    id: f[3],
    score: Number(f[4]),
    sentence1: f[5],
    sentence2: f[6],
  }));
const stsbSplit = (file: string, rows: number, sha256: string, bytes: number) => ({
  rows,
  sources: [{
    origin: "publisher" as const,
    files: [{ file, format: "tsv" as const, url: `${STSB_DATA}/${file}`, sha256, bytes }],
    toDocs: stsbRows,
  }],
});

export const stsb = defineDataset({
  name: "stsb",
  title: "STS Benchmark (Cer et al. 2017), original 0–5 release",
  kind: "sentence-pair",
  licence: "CC BY-SA 4.0 (scores); sentences under their source corpora's licences",
  homepage: "https://ixa2.si.ehu.eus/stswiki/index.php/STSbenchmark",
  doc: z.object({
    genre: z.string(),
    file: z.string(),
    year: z.string(),
    id: z.string(),
    score: z.number().min(0).max(5),
    sentence1: z.string(),
    sentence2: z.string(),
  }),
  splits: {
    train: stsbSplit(
      "sts-train.csv",
      5749,
      "0f71910b59aa1ad973c5897f0791f3b0965a92b8f82b1a95f3eea9f4162fda82",
      901177,
    ),
    validation: stsbSplit(
      "sts-dev.csv",
      1500,
      "5d7e944d8b02734b07bfdb5df67db3420c64bed153fcaa1ba47ad03480cf4234",
      255680,
    ),
    test: stsbSplit(
      "sts-test.csv",
      1379,
      "affe45928a66ee5a708531233c95b7dacbbdc57f974f002a3d32ea0180cf816a",
      282419,
    ),
    "validation-first300": piece("validation", 300, [{
      file: "sts-dev.first300.csv",
      format: "tsv",
      sha256: "6246cb4dbf95fb7125c5e204823972f77e384aec695c87a2b3433f2fc52d9636",
      bytes: 33022,
      prefixOf: { file: "sts-dev.csv", lines: 300 },
    }], stsbRows),
  },
  pair: (doc) => ({ a: doc.sentence1, b: doc.sentence2, score: doc.score }),
  scoreRange: [0, 5],
});
