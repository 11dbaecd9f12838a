/** The settings of the massive-activations experiment that a configuration fixes (reproduce's `massive`). */
import { z } from "zod";

/** Schema of the massive settings. */
export const MassiveSettings = z.strictObject({
  sequences: z.number().int().positive().describe("analysis sequences"),
  seqLen: z.number().int().positive().describe("tokens per sequence and perplexity window"),
  corpora: z.array(z.string()).min(1).describe(
    "perplexity corpora, comma-separated (wikitext2, c4, c4-10k, pg19)",
  ),
  absolute: z.number().positive().default(100).describe("a massive activation exceeds this magnitude"),
  ratio: z.number().positive().default(1000).describe("... and this multiple of its hidden state's median"),
  pplWindows: z.number().int().positive().nullable().default(null).describe(
    "perplexity windows per corpus (default all)",
  ),
  intervention: z.enum(["threshold", "paper"]).default("threshold").describe(
    "paper: the reference's hook.py intervention and perplexity corpora; threshold: the first massive layer",
  ),
});
export type MassiveSettings = z.infer<typeof MassiveSettings>;
