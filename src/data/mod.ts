/**
 * Datasets: one declarative file each (datasets/<name>.ts: source, splits, prompts, choices, metrics, and the
 * split each experiment reads), listed by the registry (registry.ts); loading through embedded → mirror →
 * cache → download (load.ts, resolve.ts), parsers for the publishers' formats and the hub's parquet
 * (formats.ts), lm-evaluation-harness multiple-choice requests (lm_eval.ts), the paper's prompts (prompts.ts),
 * and seeded samplers that return the exact ids and windows used (sample.ts, calibration.ts, windows.ts; PCG32
 * in prng.ts). Where the references draw with Python's `random`: CPython's generator bit for bit
 * (python_random.ts), Wanda's calibration draws (wanda_draws.ts), the paper's loaders (paper_draws.ts) and
 * scripts (paper_runs.ts).
 * `deno task data --list` shows what is available (availability.ts).
 */
export * from "./availability.ts";
export * from "./calibration.ts";
export * from "./dataset_spec.ts";
export * from "./formats.ts";
export * from "./lm_eval.ts";
export * from "./load.ts";
export * from "./paper_draws.ts";
export * from "./paper_runs.ts";
export * from "./prng.ts";
export * from "./prompts.ts";
export * from "./python_random.ts";
export * from "./registry.ts";
export * from "./resolve.ts";
export * from "./sample.ts";
export * from "./token_encoder.ts";
export * from "./wanda_draws.ts";
export * from "./windows.ts";
