/**
 * Pruned models evaluated (paper Tables 1 and 2): table1.ts prunes one model every way the paper compares and
 * evaluates each variant; transfer.ts crosses calibration sets with evaluation tasks. Each variant is one
 * resumable stage (_variant.ts).
 *
 * @module
 */
export {
  runTable1,
  TABLE1_VARIANTS,
  type Table1Options,
  type Table1Variant,
  table1Variants,
} from "./table1.ts";
export { runTransfer, type TransferOptions } from "./transfer.ts";
export { Table1Settings, TransferSettings } from "./settings.ts";
