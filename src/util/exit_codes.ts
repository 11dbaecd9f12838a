/**
 * Exit codes of every task, documented in the README ("Exit codes"): scripts and CI can tell a regression
 * found by `compare` from a run that could not be done, and both from an interrupt.
 */
export const EXIT_CODES = {
  /** The task did what was asked. */
  ok: 0,
  /** `compare` found a value beyond tolerance, or a row or column missing. Only `compare` uses it. */
  regression: 1,
  /** Bad input (flags, files, models, datasets) or any other error; the message says which. */
  error: 2,
  /** Stopped by SIGINT or SIGTERM; a run directory records "interrupted" and how to resume. */
  interrupted: 130,
} as const;
