/**
 * Evaluation (`deno task eval`): WikiText-2 perplexity and multiple-choice accuracy with lm-evaluation-harness
 * conventions or the paper's last-token scoring. evaluate.ts runs a model over the tasks (tasks.ts); the
 * engine side is loglikelihood.ts, multiple_choice.ts and perplexity.ts; the model-free scorers are
 * choice_scores.ts and perplexity_score.ts.
 *
 * @module
 */
export {
  defaultEvalConfig,
  type EvalConfig,
  type EvalOutcome,
  evaluateModel,
  printRows,
  runEval,
} from "./evaluate.ts";
export {
  CHOICE_TASKS,
  DEFAULT_EVAL_TASKS,
  evalTasks,
  type OpenedTask,
  openEvalTasks,
  taskShots,
} from "./tasks.ts";
export { type Scoring, SCORINGS } from "./multiple_choice.ts";
export { EvalSettings } from "./settings.ts";
export { perplexity, type PerplexityResult } from "./perplexity_score.ts";
export { PAPER_EVAL_SAMPLES } from "./paper_protocol.ts";
