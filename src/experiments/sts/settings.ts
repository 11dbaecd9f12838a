/** The settings of the STS experiment that a configuration fixes (the reproduce config's `sts` section). */
import { z } from "zod";
import { LayerRangeText } from "../layer_ranges.ts";

/** Schema of the STS settings. */
export const StsSettings = z.strictObject({
  benchmarks: z.array(z.enum(["stsb", "sick"])).min(1),
  split: z.string(),
  samples: z.number().int().positive(),
  layers: z.array(LayerRangeText).min(1),
});
export type StsSettings = z.infer<typeof StsSettings>;
