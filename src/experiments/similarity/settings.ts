/**
 * The settings of the similarity and relevance experiments that a configuration fixes (the reproduce config's
 * `similarity` and `relevance` sections); the window length, shots and batch follow the density settings.
 */
import { z } from "zod";
import { LayerRangeText } from "../layer_ranges.ts";

/** Schema of the similarity settings. */
export const SimilaritySettings = z.strictObject({
  pairs: z.array(z.string().regex(/^[\w-]+:[\w-]+$/, "a dataset pair like boolq:c4")).min(1),
  samples: z.number().int().positive(),
});
export type SimilaritySettings = z.infer<typeof SimilaritySettings>;

/** Schema of the relevance settings. */
export const RelevanceSettings = z.strictObject({
  datasets: z.array(z.string()).min(2),
  samples: z.number().int().positive(),
  layers: LayerRangeText.nullable().describe("one layer range; null: the paper's deep layers"),
});
export type RelevanceSettings = z.infer<typeof RelevanceSettings>;
