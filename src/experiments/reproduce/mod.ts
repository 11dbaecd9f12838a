/**
 * `deno task reproduce`: every experiment of the two papers for one configuration (config.ts), in the
 * paper's order, into one run directory whose stages are reused while their inputs do not change
 * (reproduce.ts).
 *
 * @module
 */
export { DEFAULT_CONFIG_PATH, readReproduceConfig, ReproduceConfig } from "./config.ts";
export { REPRODUCE_STAGES, type ReproduceStage, runReproduction } from "./reproduce.ts";
