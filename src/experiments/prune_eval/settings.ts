/**
 * The settings of table1 and transfer that a configuration fixes (the reproduce config's `table1` and
 * `transfer` sections): the prune and eval settings that differ from their defaults.
 */
import { z } from "zod";
import { Gamma } from "../density/gamma.ts";

const prune = {
  sparsity: z.number().gt(0).lt(1),
  nsamples: z.number().int().positive(),
  seqLen: z.number().int().positive().describe("calibration and perplexity window length"),
  tasks: z.array(z.string()).min(1),
  limit: z.number().int().positive().nullable(),
};

/** Schema of the table1 settings. */
export const Table1Settings = z.strictObject({
  ...prune,
  calibration: z.string().describe("NAME or NAME:SPLIT"),
  gamma: Gamma.describe("γ of the activation allocation's counts"),
});
export type Table1Settings = z.infer<typeof Table1Settings>;

/** Schema of the transfer settings. */
export const TransferSettings = z.strictObject({
  ...prune,
  calibrations: z.array(z.string()).min(1),
});
export type TransferSettings = z.infer<typeof TransferSettings>;
