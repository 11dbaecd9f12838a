/**
 * Perplexity of the untouched model and of the model with its massive activations zeroed or set to their
 * mean (locuslab/massive-activations `lib/eval_utils.py` `eval_ppl` with the `lib/hook.py` forward hook on
 * the intervened layer). Each window of T tokens is scored as the Wanda/SparseGPT convention does: tokens
 * 0..T−2 in, tokens 1..T−1 as targets (T − 1 NLLs; src/experiments/eval/perplexity_score.ts). The blocks up to
 * the intervened layer run once per window; the three settings share them. Under the paper's rule
 * (paper_intervention.ts) the whole window of T tokens runs, as `model(test_seq)` does in the reference, so the
 * top-token search sees the last position too; its output is not scored and, the attention being causal,
 * changes no scored position.
 */
import type { LlamaRunner } from "../../model/llama/llama_runner.ts";
import { ActpatError } from "../../util/errors.ts";
import type { Progress } from "../../util/progress.ts";
import { perplexity, type PerplexityResult } from "../eval/mod.ts";
import {
  applyIntervention,
  INTERVENTION_SETTINGS,
  type InterventionPlan,
  type InterventionSetting,
} from "./intervention.ts";
import { applyPaperIntervention, type PaperPlan } from "./paper_intervention.ts";
import { cloneTensor, runBlocks } from "./layered_forward.ts";

/** One line of `intervention.csv` before the corpus is attached. */
export interface SettingPerplexity {
  setting: "original" | "zero" | "mean";
  result: PerplexityResult;
  /** Hidden-state entries the intervention changed over all windows (0 for "original"). */
  replaced: number;
}

/** Options of {@link interventionPerplexity}. */
export interface InterventionPerplexityOptions {
  /** Windows per forward pass (default 1). */
  batch?: number;
  /** Ticked once per window. */
  progress?: Progress;
}

/**
 * Perplexity over `windows` (token ids, all of one length ≥ 2) of the untouched model and, with a plan, of
 * each intervention setting; without a plan (no massive activations) only "original".
 */
export async function interventionPerplexity(
  runner: LlamaRunner,
  windows: readonly (readonly number[])[],
  plan: InterventionPlan | PaperPlan | null,
  options: InterventionPerplexityOptions = {},
): Promise<SettingPerplexity[]> {
  const T = windows[0]?.length ?? 0;
  if (T < 2 || windows.some((w) => w.length !== T)) {
    throw new ActpatError("score windows", "the windows must all have the same length of at least 2 tokens");
  }
  const L = runner.model.config.numLayers;
  const d = runner.model.config.hiddenSize;
  const settings = plan ? ["original", ...INTERVENTION_SETTINGS] as const : ["original"] as const;
  const nlls = new Map<string, Float64Array[]>(settings.map((s) => [s, []]));
  const replaced = new Map<string, number>(settings.map((s) => [s, 0]));
  const batch = options.batch ?? 1;
  const paper = plan !== null && "rule" in plan;
  const edit = (data: Float32Array | Float64Array, tokens: number, setting: InterventionSetting) =>
    paper
      ? applyPaperIntervention(data, tokens, d, plan as PaperPlan, setting)
      : applyIntervention(data, tokens, d, plan as InterventionPlan, setting);
  const rows = paper ? T : T - 1;
  for (let start = 0; start < windows.length; start += batch) {
    const chunk = windows.slice(start, start + batch);
    const inputs = chunk.map((w) => paper ? [...w] : w.slice(0, T - 1));
    const targets = chunk.map((w) => w.slice(1));
    const { hidden: h0, mask } = await runner.embed(inputs);
    const cut = plan ? plan.layer + 1 : L;
    const shared = await runBlocks(runner, h0, mask, 0, cut);
    for (const setting of settings) {
      let h = shared;
      if (setting !== "original") {
        h = cloneTensor(shared);
        const data = h.data as Float32Array | Float64Array;
        const n = rows * d;
        for (let b = 0; b < chunk.length; b++) {
          const count = edit(data.subarray(b * n, (b + 1) * n), rows, setting);
          replaced.set(setting, replaced.get(setting)! + count);
        }
      }
      const out = await runBlocks(runner, h, mask, cut, L);
      const lp = await runner.headLogProbs(out, targets);
      nlls.get(setting)!.push(...lp.map((row) => row.map((x) => -x)));
    }
    options.progress?.tick(chunk.length);
  }
  return settings.map((setting) => ({
    setting,
    result: perplexity(nlls.get(setting)!),
    replaced: replaced.get(setting)!,
  }));
}
