import { z } from "zod";
import { defineDataset } from "../dataset_spec.ts";
import { HF, piece, publisherAsIs, record } from "./_sources.ts";

export const c4 = defineDataset({
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
  sampleSplit: "train",
  calibration: { split: "train", reference: "locuslab/wanda lib/data.py get_c4" },
  perplexity: {
    recipe: {
      split: "validation",
      // locuslab/wanda lib/data.py get_c4: ' '.join(valdata[:1100]['text']), then the first 256 windows.
      texts: (docs) => [docs.slice(0, 1100).join(" ")],
      maxWindows: 256,
      about: "C4 validation shard 0, first 1100 documents joined with ' ', first 256 windows (Wanda get_c4)",
    },
  },
});
