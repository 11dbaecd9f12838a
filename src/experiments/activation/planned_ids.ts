import { DATASETS, PythonRandom, shuffledRows } from "../../data/mod.ts";

/** Where the ids of a draw come from when they do not follow from the split sizes alone. */
export const IDS_WHEN_RUN = "drawn when the cell runs (they depend on the text), listed in its manifest";

/**
 * The row ids {@link activationSamples} draws, `count` per dataset, for `draws` in turn from one generator
 * seeded `seed`, as far as they follow from the registry's split sizes alone: an example dataset's ids are
 * the first `count` of `random.shuffle` over its rows (sample.ts). A corpus window depends on tokenized
 * document lengths and GSM8K draws demo orders, so from the first of those on the draws are
 * {@link IDS_WHEN_RUN}.
 */
export function plannedSampleIds(
  draws: readonly { dataset: string; split: string }[],
  count: number,
  seed: number,
): (number[] | string)[] {
  const rng = new PythonRandom(seed);
  let known = true;
  return draws.map(({ dataset, split }) => {
    const spec = DATASETS.get(dataset);
    const rows = spec.splits[split]?.rows;
    known &&= spec.kind !== "perplexity-corpus" && spec.kind !== "sentence-pair" && dataset !== "gsm8k" &&
      rows !== undefined && count <= rows;
    return known ? shuffledRows(rng, rows!, count) : IDS_WHEN_RUN;
  });
}
