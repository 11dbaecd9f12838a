/**
 * Evaluation scorers (issue 5): multiple-choice accuracy with lm-evaluation-harness conventions (acc,
 * acc_norm by character length, mean_stderr) or the paper's last-token comparison, and perplexity as
 * exp(mean token NLL) over non-overlapping windows. Model-free: they take log-likelihoods, logits, NLLs.
 *
 * @module
 */

export {
  argmaxFirst,
  type ChoiceItem,
  type ItemScore,
  type LastTokenItem,
  lastTokenPrediction,
  type MetricSummary,
  pythonLength,
  scoreChoiceItem,
  scoreLastToken,
  scoreMultipleChoice,
  summarise,
} from "./multiple_choice.ts";
export { perplexity, type PerplexityResult } from "./perplexity.ts";
