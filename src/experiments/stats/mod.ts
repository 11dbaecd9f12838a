/**
 * Statistics for results: Spearman rank correlation with its t-distribution p-value (issue 6), the special
 * functions behind it, and summaries (mean, std, quartiles, boxplot statistics, lm-eval's standard error).
 *
 * @module
 */

export { logGamma, regularizedIncompleteBeta, studentTTwoSidedP } from "./special_functions.ts";
export { averageRanks, spearman, type SpearmanResult } from "./spearman.ts";
export {
  type BoxplotStats,
  boxplotStats,
  mean,
  meanStderr,
  median,
  quantile,
  type Quartiles,
  quartiles,
  std,
} from "./summary.ts";
