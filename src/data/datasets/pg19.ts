import { z } from "zod";
import { defineDataset } from "../dataset_spec.ts";
import { hubParquetAsIs, PARQUET_BRANCH } from "./_sources.ts";

// PG-19 (deepmind/pg19 is a loading script over per-book text files; its parquet copy emozilla/pg19 is what
// the massive-activations reference reads: lib/load_data.py get_pg19, `load_dataset('emozilla/pg19',
// split='validation')`). Rows: short_book_title, publication_date, url, text, as deepmind/pg19's builder yields.
export const pg19 = defineDataset({
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
  perplexity: {
    recipe: {
      split: "validation",
      // locuslab/massive-activations lib/load_data.py get_pg19: tokenizer(' '.join(valdata[:5]['text'])) of
      // emozilla/pg19 validation, then `for i in range(100)` windows.
      texts: (docs) => [docs.slice(0, 5).join(" ")],
      maxWindows: 100,
      about:
        "PG-19 (emozilla/pg19) validation, first 5 books joined with ' ', BOS first, first 100 windows " +
        "(massive-activations get_pg19)",
    },
  },
});
