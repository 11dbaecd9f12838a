import { z } from "zod";
import { defineDataset } from "../dataset_spec.ts";
import { hubParquetAsIs, piece } from "./_sources.ts";

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

export const wikitext2 = defineDataset({
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
  sampleSplit: "train",
  calibration: { split: "train", reference: "locuslab/wanda lib/data.py get_wikitext2" },
  evalSplit: "test",
  perplexity: {
    recipe: {
      split: "test",
      texts: (docs) => [...docs],
      about: 'WikiText-2 raw test, rows joined with "\\n\\n" (Wanda eval_ppl_wikitext)',
    },
    reference: {
      split: "test",
      // locuslab/massive-activations lib/load_data.py get_wikitext: "\n\n".join(testdata['text']) tokenized
      // with add_special_tokens=False, all ⌊n / seqlen⌋ windows.
      texts: (docs) => [...docs],
      bos: false,
      about:
        'WikiText-2 raw test, rows joined with "\\n\\n", no BOS, all windows (massive-activations get_wikitext)',
    },
  },
});
