import { z } from "zod";
import { defineDataset } from "../dataset_spec.ts";
import { HF } from "./_sources.ts";

// NeelNanda/c4-10k: the first 10,000 documents of C4 `en` train as one parquet file (the massive-activations
// reference, locuslab/massive-activations lib/load_data.py get_c4, reads `load_dataset("NeelNanda/c4-10k")`).
// Revision bdb17e3 is the repository's head; the size is the README's download_size; the sha256 is the file's
// LFS object id.
const C4_10K_REVISION = "bdb17e3672308890562fe8f5ebe5d07bc88d764a";
const C4_10K_FILE = "data/train-00000-of-00001-f6f21d3dc6d657fc.parquet";

export const c410k = defineDataset({
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
  perplexity: {
    recipe: {
      split: "train",
      // locuslab/massive-activations lib/load_data.py get_c4: tokenizer(' '.join(valdata["train"][:5000]['text'])),
      // then `for i in range(100)` windows.
      texts: (docs) => [docs.slice(0, 5000).join(" ")],
      maxWindows: 100,
      about: "NeelNanda/c4-10k train, first 5000 documents joined with ' ', BOS first, first 100 windows " +
        "(massive-activations get_c4)",
    },
  },
});
