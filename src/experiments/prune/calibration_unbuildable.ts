/**
 * A calibration set that cannot be built from the data at hand: e.g. 128 windows of 4096 tokens asked of
 * MMLU's validation split (1,531 rows) when its `auxiliary_train` (99,842) cannot be had. Typed, so table1 and
 * transfer record that one cell as "cannot be built" (in the manifest and their tables) and go on with the
 * others, and `reproduce` with its other stages, instead of aborting.
 */
import { ActpatError } from "../../util/errors.ts";

/** What could not be built, and why. */
export interface Unbuildable {
  dataset: string;
  split: string;
  nsamples: number;
  seqLen: number;
  /** The builder's own message (`Cannot …: …`). */
  detail: string;
}

/** Thrown by `calibrationSet` when the split is loaded but too small for the sequences asked. */
export class CalibrationUnbuildable extends ActpatError {
  readonly cell: Unbuildable;
  constructor(cell: Unbuildable) {
    super(
      `build the calibration set ${cell.dataset}/${cell.split} (${cell.nsamples} × ${cell.seqLen} tokens)`,
      cell.detail,
    );
    this.name = "CalibrationUnbuildable";
    this.cell = cell;
  }
}
