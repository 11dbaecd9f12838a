/** The settings of the massive-activations experiment that a configuration fixes (reproduce's `massive`). */
import { z } from "zod";

/** Schema of the massive settings. */
export const MassiveSettings = z.strictObject({
  sequences: z.number().int().positive(),
  seqLen: z.number().int().positive(),
  corpora: z.array(z.string()).min(1),
  absolute: z.number().positive().default(100),
  ratio: z.number().positive().default(1000),
  pplWindows: z.number().int().positive().nullable().default(null).describe("perplexity windows per corpus"),
  intervention: z.enum(["threshold", "paper"]).default("threshold").describe(
    "paper: the reference's hook.py intervention and perplexity corpora; threshold: the first massive layer",
  ),
});
export type MassiveSettings = z.infer<typeof MassiveSettings>;
