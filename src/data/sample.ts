import { ActpatError } from "../util/errors.ts";
import type { DatasetHandle, Example } from "./load.ts";
import { Pcg32, sampleIndices, STREAMS } from "./prng.ts";

/** N examples drawn from a split, with the exact ids used (recorded in run manifests). */
export interface ExampleSample {
  dataset: string;
  split: string;
  seed: number;
  /** Positions in the split, in draw order. */
  ids: number[];
  examples: Example[];
}

/**
 * "N examples of dataset D": `n` distinct rows of `split` drawn uniformly without replacement, in draw order:
 * the first `n` steps of a Fisher–Yates shuffle of the row positions driven by PCG32(seed, STREAMS.examples).
 * The same (dataset, split, n, seed) gives the same ids on every machine; a larger `n` extends a smaller draw.
 * @example const { ids } = await sampleExamples(openDataset("boolq"), "validation", 64, 1);
 */
export async function sampleExamples(
  dataset: DatasetHandle,
  split: string,
  n: number,
  seed: number,
): Promise<ExampleSample> {
  const { docs } = await dataset.split(split);
  const name = dataset.spec.name;
  if (!Number.isInteger(n) || n < 1 || n > docs.length) {
    throw new ActpatError(`sample ${n} examples of ${name}/${split}`, `the split has ${docs.length} rows`);
  }
  const ids = sampleIndices(docs.length, n, new Pcg32(seed, STREAMS.examples));
  return {
    dataset: name,
    split,
    seed,
    ids,
    examples: ids.map((id) => ({ dataset: name, split, id, doc: docs[id] })),
  };
}
