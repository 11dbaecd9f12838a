/**
 * WikiText-2 perplexity in the Wanda/SparseGPT convention (design §3; locuslab/wanda `lib/eval.py`
 * `eval_ppl_wikitext`): the test split's rows joined with "\n\n" and tokenized once (BOS first), cut into
 * non-overlapping windows of seqLen tokens (tail dropped); window w is scored on its own, tokens 0..T−2 in
 * and 1..T−1 as targets; ppl = exp(mean token NLL) (src/experiments/eval/perplexity_score.ts).
 */
import { type CorpusWindows, type DatasetHandle, perplexityWindows, windowTokens } from "../../data/mod.ts";
import type { LlamaRunner } from "../../model/llama/mod.ts";
import type { Tokenizer } from "../../model/tokenizer.ts";
import { type DatasetRecord, datasetRecord } from "../../results/manifest.ts";
import { ActpatError } from "../../util/errors.ts";
import { progress } from "../../util/progress.ts";
import { batchesByLength, type BatchLimits } from "./loglikelihood.ts";
import { perplexity, type PerplexityResult } from "./perplexity_score.ts";

/** Perplexity of a corpus split with the windows it used. */
export interface CorpusPerplexity {
  result: PerplexityResult;
  record: DatasetRecord;
}

/**
 * Windows by tokenizer and loaded split (object identity, so never stale): tokenizing WikiText-2's test split
 * takes seconds to tens of seconds, and table1/transfer score several models on the same split.
 */
const WINDOWS = new WeakMap<object, WeakMap<object, Map<number, CorpusWindows>>>();

function memoWindows(
  tokenizer: object,
  split: object,
  seqLen: number,
  make: () => CorpusWindows,
): CorpusWindows {
  let bySplit = WINDOWS.get(tokenizer);
  if (!bySplit) WINDOWS.set(tokenizer, bySplit = new WeakMap());
  let byLen = bySplit.get(split);
  if (!byLen) bySplit.set(split, byLen = new Map());
  let w = byLen.get(seqLen);
  if (!w) byLen.set(seqLen, w = make());
  return w;
}

/** Scores the first `limit` (default all) windows of `split` of a corpus dataset. */
export async function corpusPerplexity(
  runner: LlamaRunner,
  tokenizer: Pick<Tokenizer, "encode">,
  dataset: DatasetHandle,
  split: string,
  options: BatchLimits & { seqLen: number; limit?: number; quiet?: boolean },
): Promise<CorpusPerplexity> {
  const spec = dataset.spec;
  if (spec.kind !== "perplexity-corpus") {
    throw new ActpatError(`compute the perplexity of "${spec.name}"`, `it is a ${spec.kind} dataset`);
  }
  if (options.seqLen < 2) {
    throw new ActpatError("compute perplexity", `--seq-len ${options.seqLen} is below 2`);
  }
  const loaded = await dataset.split(split);
  const windows = memoWindows(
    tokenizer,
    loaded,
    options.seqLen,
    () => perplexityWindows(loaded.docs.map((d) => spec.text(d)), tokenizer, options.seqLen),
  );
  const count = Math.min(options.limit ?? Infinity, windows.starts.length);
  const inputs: number[][] = [];
  const targets: number[][] = [];
  for (let i = 0; i < count; i++) {
    const w = Array.from(windowTokens(windows, i));
    inputs.push(w.slice(0, -1));
    targets.push(w.slice(1));
  }
  const nlls = new Array<Float64Array>(count);
  const bar = progress(`${spec.name} perplexity`, count, { unit: "windows", quiet: options.quiet });
  for (const batch of batchesByLength(inputs.map((s) => s.length), options)) {
    const lp = await runner.logProbs(batch.map((i) => inputs[i]), batch.map((i) => targets[i]));
    batch.forEach((i, k) => nlls[i] = lp[k].map((x) => -x));
    bar.tick(batch.length);
  }
  bar.done();
  return {
    result: perplexity(nlls),
    record: datasetRecord(loaded, {
      windows: { seed: null, seqLen: options.seqLen, starts: windows.starts.slice(0, count) },
    }),
  };
}
