/** The settings of the STS experiment that a configuration fixes (the reproduce config's `sts` section). */
import { z } from "zod";
import { LayerRangeText } from "../layer_ranges.ts";

/** Schema of the STS settings. */
export const StsSettings = z.strictObject({
  benchmarks: z.array(z.enum(["stsb", "sick"])).min(1).describe("sentence-pair datasets, comma-separated"),
  split: z.string().describe("split name"),
  samples: z.number().int().positive().describe("pairs per benchmark"),
  layers: z.array(LayerRangeText).min(1).describe("layer ranges, comma-separated"),
});
export type StsSettings = z.infer<typeof StsSettings>;
