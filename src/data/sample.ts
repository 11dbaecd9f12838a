import { ActpatError } from "../util/errors.ts";
import type { DatasetHandle, Example } from "./load.ts";
import { shuffledRows } from "./paper_draws.ts";
import { PythonRandom } from "./python_random.ts";

/** N examples drawn from a split, with the exact ids used (recorded in run manifests). */
export interface ExampleSample {
  dataset: string;
  split: string;
  seed: number;
  /** Positions in the split, in draw order. */
  ids: number[];
  examples: Example[];
}

/** Options of {@link sampleExamples}. */
export interface SampleExamplesOptions {
  /** Examples to draw. */
  n: number;
  /** `random.seed(seed)` of the generator, recorded with the ids. */
  seed: number;
  /**
   * Continue this generator instead of seeding a fresh one: the paper's scripts draw every dataset from
   * one global `random` (src/data/paper_runs.ts), so a dataset's ids depend on the draws before it.
   */
  rng?: PythonRandom;
}

/**
 * "N examples of dataset D" as the paper's loaders draw them (lib/dataset/<task>.py @93503116, see
 * {@link shuffledRows}): Python's `random.shuffle` of all row positions, the first `n` kept, bit for bit
 * CPython's (src/data/python_random.ts), so the ids equal the reference's for the same seed and call order.
 * A larger `n` from the same state extends a smaller draw.
 * @example const { ids } = await sampleExamples(openDataset("boolq"), "validation", { n: 64, seed: 1 });
 */
export async function sampleExamples(
  dataset: DatasetHandle,
  split: string,
  options: SampleExamplesOptions,
): Promise<ExampleSample> {
  const { n, seed } = options;
  const { docs } = await dataset.split(split);
  const name = dataset.spec.name;
  if (!Number.isInteger(n) || n < 1 || n > docs.length) {
    throw new ActpatError(`sample ${n} examples of ${name}/${split}`, `the split has ${docs.length} rows`);
  }
  const ids = shuffledRows(options.rng ?? new PythonRandom(seed), docs.length, n);
  return {
    dataset: name,
    split,
    seed,
    ids,
    examples: ids.map((id) => ({ dataset: name, split, id, doc: docs[id] })),
  };
}
