/**
 * Perplexity in the Wanda/SparseGPT convention (locuslab/wanda `lib/eval.py` `eval_ppl_wikitext`): the test
 * text is tokenized once and cut into `numel // seqlen` non-overlapping windows (tail dropped); each window
 * is scored on its own (position t predicts token t + 1, so seqlen − 1 NLLs per window), and
 * ppl = exp(mean token NLL). Wanda writes it as exp(Σ_w loss_w·seqlen / (n·seqlen)) with loss_w the window's
 * mean NLL; with equal windows that is the same number. The windows themselves come from
 * `src/data/windows.ts` (`perplexityWindows`).
 */

import { ActpatError } from "../../util/errors.ts";

/** Perplexity with the totals it came from. */
export interface PerplexityResult {
  ppl: number;
  meanNll: number;
  /** Number of scored tokens. */
  tokens: number;
  windows: number;
}

/** ppl = exp(mean over all tokens of all windows of the per-token NLL, in nats). */
export function perplexity(windowNlls: readonly ArrayLike<number>[]): PerplexityResult {
  let sum = 0;
  let tokens = 0;
  for (let w = 0; w < windowNlls.length; w++) {
    const nll = windowNlls[w];
    for (let i = 0; i < nll.length; i++) {
      const v = nll[i];
      if (!Number.isFinite(v)) {
        throw new ActpatError("compute perplexity", `window ${w}, token ${i}: NLL ${v} is not finite`);
      }
      sum += v;
    }
    tokens += nll.length;
  }
  if (tokens === 0) {
    throw new ActpatError("compute perplexity", "no tokens scored (is the text shorter than --seq-len?)");
  }
  const meanNll = sum / tokens;
  return { ppl: Math.exp(meanNll), meanNll, tokens, windows: windowNlls.length };
}
