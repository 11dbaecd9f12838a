import { z } from "zod";
import { ActpatError } from "../util/errors.ts";
import { type DataFile, DatasetRegistry, defineDataset, type SplitSource } from "./dataset_spec.ts";
import { hellaswagPreprocess, hellaswagQuery, pythonStrip } from "./_hellaswag.ts";

/*
 * Every dataset actpat reads, declared in one place. Files are looked for in order: embedded in the repository
 * (`datasets/<name>/<file>`), the mirror (`$ACTPAT_MIRROR/datasets/<name>/<file>`), the cache, then downloaded
 * (see resolve.ts). Splits named `<split>-first<N>` (and hellaswag's `validation-subset200`) are pieces of a
 * split that the repository embeds for the default configuration: the first N rows of the publisher's file,
 * byte for byte (datasets/README.md). Checksums and sizes come from
 * the mirror's SOURCE.md files (../shared/hub/datasets/<name>/SOURCE.md). Prompts reproduce
 * lm-evaluation-harness (EleutherAI/lm-evaluation-harness, files and commits cited per entry) and the paper's
 * code (Qian2333/Exploring-Activation-Patterns-of-Parameters-in-Language-Models @93503116, lib/dataset/*.py).
 */

const HF = "https://huggingface.co/datasets";
const PARQUET_BRANCH = "refs%2Fconvert%2Fparquet";
const LETTERS = ["A", "B", "C", "D"];

/** A hub parquet file, mirrored and cached under its path in the repository. */
function hubParquet(
  repo: string,
  path: string,
  toDocs: (rows: unknown[]) => unknown[],
  branch = "main",
): SplitSource {
  return {
    origin: "hub",
    files: [{ file: path, format: "parquet", url: `${HF}/${repo}/resolve/${branch}/${path}` }],
    toDocs: ([rows]) => toDocs(rows),
  };
}

/** A hub parquet file whose rows already have the doc's fields. */
function hubParquetAsIs(repo: string, path: string, branch = "main"): SplitSource {
  return hubParquet(repo, path, (rows) => rows, branch);
}

/**
 * A piece of split `of` embedded in the repository (datasets/<folder>/): publisher-format files holding the
 * first lines of the originals (each file's `prefixOf`), parsed as the whole split is.
 */
function piece(of: string, rows: number, files: DataFile[], toDocs: SplitSource["toDocs"]) {
  return { rows, pieceOf: of, sources: [{ origin: "publisher" as const, files, toDocs }] };
}

/** Publisher files whose rows already are the docs (one file). */
function publisherAsIs(file: DataFile): SplitSource {
  return { origin: "publisher", files: [file], toDocs: ([rows]) => rows };
}

/** Publisher jsonl with a sibling label file, one label per line (PIQA, SIQA). */
function withLabels(rows: unknown[], labels: unknown[], labelsFile: string): unknown[] {
  if (rows.length !== labels.length) {
    throw new ActpatError(`join ${labelsFile}`, `${labels.length} labels for ${rows.length} rows`);
  }
  return rows.map((row, i) => ({ ...(row as object), label: Number(labels[i]) }));
}

function record(row: unknown): Record<string, unknown> {
  return row as Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------------------
// Corpora

const c4 = defineDataset({
  name: "c4",
  title: "C4 (Colossal Clean Crawled Corpus), English, first shard of train and validation",
  kind: "perplexity-corpus",
  licence: "ODC-BY 1.0",
  homepage: "https://huggingface.co/datasets/allenai/c4",
  doc: z.object({
    text: z.string().describe("document text"),
    timestamp: z.string().describe("crawl time"),
    url: z.string().describe("source page"),
  }),
  splits: {
    // Wanda calibrates on this shard (locuslab/wanda lib/data.py get_c4).
    train: {
      rows: 356317,
      sources: [publisherAsIs({
        file: "en/c4-train.00000-of-01024.json.gz",
        format: "jsonl.gz",
        url: `${HF}/allenai/c4/resolve/main/en/c4-train.00000-of-01024.json.gz`,
      })],
    },
    validation: {
      rows: 45576,
      sources: [publisherAsIs({
        file: "en/c4-validation.00000-of-00008.json.gz",
        format: "jsonl.gz",
        url: `${HF}/allenai/c4/resolve/main/en/c4-validation.00000-of-00008.json.gz`,
      })],
    },
    // The first 100 documents of the train shard, from the mirror's real piece of it (its first 1000).
    "train-first100": piece("train", 100, [{
      file: "en/c4-train.00000-of-01024.first100.jsonl",
      format: "jsonl",
      sha256: "16eb747b16e2f61854c68d653b0d7c4714fb3b03113be301dd5c11abdc7fb7cc",
      bytes: 218551,
      prefixOf: { file: "samples/c4-train.00000-of-01024.first1000.json.gz", lines: 100 },
    }], ([rows]) => rows),
    // The mirror's real pieces (../shared/hub/datasets/c4/samples/SOURCE.md): the first 1000 documents of the
    // train shard and of the validation shard (whose rows name the crawl time `date`, C4's `timestamp`).
    "train-first1000": piece("train", 1000, [{
      file: "samples/c4-train.00000-of-01024.first1000.json.gz",
      format: "jsonl.gz",
      sha256: "d8ad8dc79a723539563e505cdd1d7570e71393adb26d3667fbd0886cf8c9197c",
      bytes: 912750,
    }], ([rows]) => rows),
    "validation-first1000": piece("validation", 1000, [{
      file: "samples/c4-validation.00000-of-00008.first1000.json.gz",
      format: "jsonl.gz",
      sha256: "75cdeb8bacc1fd115eaf338290fc7c6ac60e48c9f88d12250511666a201eee1c",
      bytes: 893110,
    }], ([rows]) =>
      rows.map((r) => {
        const { text, url, date, timestamp } = record(r);
        return { text, url, timestamp: timestamp ?? date };
      })),
  },
  text: (doc) => doc.text,
});

const wikitextSplit = (raw: string, hub: string, rows: number, sha?: string, bytes?: number) => ({
  rows,
  sources: [
    {
      origin: "publisher" as const,
      files: [{ file: raw, format: "wikitext-raw" as const, sha256: sha, bytes }],
      toDocs: ([lines]: unknown[][]) => lines.map((text) => ({ text })),
    },
    hubParquetAsIs("Salesforce/wikitext", `wikitext-2-raw-v1/${hub}-00000-of-00001.parquet`),
  ],
});

const wikitext2 = defineDataset({
  name: "wikitext2",
  folder: "wikitext-2-raw-v1",
  title: "WikiText-2 raw (wikitext-2-raw-v1)",
  kind: "perplexity-corpus",
  licence: "CC BY-SA 3.0 / GFDL",
  homepage: "https://huggingface.co/datasets/Salesforce/wikitext",
  doc: z.object({
    text: z.string().describe('one hub row: a file line with its "\\n", or "" for a blank line'),
  }),
  splits: {
    test: wikitextSplit(
      "wiki.test.raw",
      "test",
      4358,
      "173c87a53759e0201f33e0ccf978e510c2042d7f2cb78229d9a50d79b9e7dd08",
      1290590,
    ),
    train: wikitextSplit("wiki.train.raw", "train", 36718),
    "test-first200": piece("test", 200, [{
      file: "wiki.test.first200.raw",
      format: "wikitext-raw",
      sha256: "425a7b371d0c38bf0e1da121954e8c4519a257a7f5f3d6793843961c9d3dd877",
      bytes: 52486,
      prefixOf: { file: "wiki.test.raw", lines: 200 },
    }], ([lines]) => lines.map((text) => ({ text }))),
    validation: wikitextSplit("wiki.valid.raw", "validation", 3760),
  },
  text: (doc) => doc.text,
});

// NeelNanda/c4-10k: the first 10,000 documents of C4 `en` train as one parquet file (the massive-activations
// reference, locuslab/massive-activations lib/load_data.py get_c4, reads `load_dataset("NeelNanda/c4-10k")`).
// Revision bdb17e3 is the repository's head; the size is the README's download_size; the sha256 is the file's
// LFS object id.
const C4_10K_REVISION = "bdb17e3672308890562fe8f5ebe5d07bc88d764a";
const C4_10K_FILE = "data/train-00000-of-00001-f6f21d3dc6d657fc.parquet";

const c410k = defineDataset({
  name: "c4-10k",
  title: "C4 10k (NeelNanda/c4-10k): the first 10,000 documents of C4 en train",
  kind: "perplexity-corpus",
  licence: "ODC-BY 1.0",
  homepage: "https://huggingface.co/datasets/NeelNanda/c4-10k",
  doc: z.object({
    text: z.string().describe("document text"),
    timestamp: z.date().describe("crawl time (parquet timestamp[us])"),
    url: z.string().describe("source page"),
  }),
  splits: {
    train: {
      rows: 10000,
      sources: [{
        origin: "hub",
        files: [{
          file: C4_10K_FILE,
          format: "parquet",
          url: `${HF}/NeelNanda/c4-10k/resolve/${C4_10K_REVISION}/${C4_10K_FILE}`,
          sha256: "ed2d10ef7028adbce5add01785c89791a18b3551622c9fc70620de2874f2b016",
          bytes: 13645542,
        }],
        toDocs: ([rows]) => rows,
      }],
    },
  },
  text: (doc) => doc.text,
});

// PG-19 (deepmind/pg19 is a loading script over per-book text files; its parquet copy emozilla/pg19 is what
// the massive-activations reference reads: lib/load_data.py get_pg19, `load_dataset('emozilla/pg19',
// split='validation')`). Rows: short_book_title, publication_date, url, text, as deepmind/pg19's builder yields.
const pg19 = defineDataset({
  name: "pg19",
  title: "PG-19 (Project Gutenberg books before 1919), parquet copy emozilla/pg19",
  kind: "perplexity-corpus",
  licence: "Apache 2.0",
  homepage: "https://huggingface.co/datasets/emozilla/pg19",
  doc: z.object({
    short_book_title: z.string().describe("book title"),
    publication_date: z.number().int().describe("publication year"),
    url: z.string().describe("Project Gutenberg page"),
    text: z.string().describe("the whole book"),
  }),
  splits: {
    // The hub's parquet export of emozilla/pg19 (the dataset is large enough that every split is a "partial-*"
    // folder; validation, 50 books, is whole, which the row count checks).
    validation: {
      rows: 50,
      sources: [hubParquetAsIs("emozilla/pg19", "default/partial-validation/0000.parquet", PARQUET_BRANCH)],
    },
    test: {
      rows: 100,
      sources: [hubParquetAsIs("emozilla/pg19", "data/test-00000-of-00001-29a571947c0b5ccc.parquet")],
    },
  },
  text: (doc) => doc.text,
});

// ---------------------------------------------------------------------------------------------------------
// Multiple choice

const boolqFromHub = (rows: unknown[]) =>
  rows.map((r) => ({
    question: record(r).question,
    passage: record(r).passage,
    label: record(r).answer ? 1 : 0,
  }));
const boolqFromPublisher = ([rows]: unknown[][]) =>
  rows.map((r) => ({ ...boolqFromHub([r])[0], title: record(r).title }));

const boolq = defineDataset({
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
  task: {
    reference: "lm_eval/tasks/super_glue/boolq/default.yaml @0d03a9f3",
    docToText: (doc) => `${doc.passage}\nQuestion: ${doc.question}?\nAnswer:`,
    docToChoice: () => ["no", "yes"],
    docToTarget: (doc) => doc.label,
  },
  paper: {
    reference: "lib/dataset/boolq.py get_boolq",
    prompt: (doc) => `${doc.passage}\nQuestion: ${doc.question}?\nAnswer:`,
    answer: (doc) => ["no", "yes"][doc.label],
    shotSplit: "validation",
  },
});

const piqa = defineDataset({
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
  task: {
    reference: "lm_eval/tasks/piqa/piqa.yaml @11d8a69c",
    docToText: (doc) => `Question: ${doc.goal}\nAnswer:`,
    docToChoice: (doc) => [doc.sol1, doc.sol2],
    docToTarget: (doc) => doc.label,
  },
  paper: {
    reference: "lib/dataset/piqa.py gen_prompt",
    prompt: (doc) => `Question:${doc.goal}\n0. ${doc.sol1}\n1. ${doc.sol2}\nAnswer:`,
    answer: (doc) => String(doc.label),
    shotSplit: "validation",
  },
});

const SIQA_REPO = "https://raw.githubusercontent.com/cicl-stanford/procedural-evals-tom/" +
  "fe647d680bddb69f738519313bed625f9e93b549/data/social_iqa";

const siqa = defineDataset({
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
  task: {
    reference: "lm_eval/tasks/siqa/siqa.yaml @470fb31c (task social_iqa)",
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
  },
});

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

const hellaswag = defineDataset({
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
  task: {
    reference: "lm_eval/tasks/hellaswag/hellaswag.yaml @05480a11, utils.py @0a9cc282",
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
  },
});

const mmluSplit = (split: string, rows: number, sha256: string, bytes: number) => ({
  rows,
  sources: [
    // Mirror-only: jsonl derived from the hub's Arrow files (see the mirror's SOURCE.md); no publisher URL.
    publisherAsIs({ file: `${split}.jsonl`, format: "jsonl", sha256, bytes }),
    hubParquetAsIs("cais/mmlu", `all/${split}-00000-of-00001.parquet`),
  ],
});

const mmluSubject = (doc: { subject: string }) => doc.subject.replaceAll("_", " ");

const mmlu = defineDataset({
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
  task: {
    reference: "lm_eval/tasks/mmlu/default/_default_template_yaml @00859825, mmlu_<subject>.yaml",
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
  },
});

// ---------------------------------------------------------------------------------------------------------
// Generation

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

const gsm8k = defineDataset({
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

const humaneval = defineDataset({
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
  task: {
    // The original harness (openai/human-eval) completes the bare prompt; lm-eval variants append instructions.
    reference: "openai/human-eval evaluation (prompt as is); target = test + check(entry_point)",
    docToText: (doc) => doc.prompt,
    docToTarget: (doc) => `${doc.test}\ncheck(${doc.entry_point})`,
  },
  paper: { reference: "lib/dataset/__init__.py get_humaneval", prompt: (doc) => doc.prompt },
});

// ---------------------------------------------------------------------------------------------------------
// Sentence-pair similarity

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

const stsb = defineDataset({
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

const sick = defineDataset({
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

/** All datasets, by name. */
export const DATASETS: DatasetRegistry = new DatasetRegistry([
  c4,
  wikitext2,
  c410k,
  pg19,
  boolq,
  piqa,
  siqa,
  hellaswag,
  mmlu,
  gsm8k,
  humaneval,
  stsb,
  sick,
]);
