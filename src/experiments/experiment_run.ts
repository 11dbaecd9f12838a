/**
 * The one way an experiment runs: options → run directory → model → manifest → stages. Each experiment's
 * `run<Name>` checks its own settings, then hands {@link experimentRun} what its manifest records and its
 * stages; the run directory is finished as `ok`, or `failed` with the error, whatever the stages do.
 */
import type { LoadOptions } from "../data/mod.ts";
import { type LoadedModel, loadModel, type LoadModelOptions } from "../model/load_model.ts";
import { modelRecord } from "../results/manifest.ts";
import { type RunDir, withRunDir } from "../results/run_dir.ts";
import type { EngineOptions } from "./engine_options.ts";

/** What every experiment run takes besides its own settings. */
export interface RunOptions {
  /** Model reference: a local folder or llama2.c `.bin`, or a hub id (resolved through ACTPAT_MIRROR). */
  model: string;
  /** Tokenizer reference (default: the checkpoint's own). */
  tokenizer?: string;
  engine: EngineOptions;
  /** Run directory (a directory holding a run of the same command resumes it); default a new one. */
  out?: string;
  /** Parent of new run directories (default results/runs). */
  root?: string;
  /** The command line's arguments, for the manifest. */
  argv?: string[];
  /** No progress bars or summary lines. */
  quiet?: boolean;
  /** Where datasets come from (mirror, cache, downloads). */
  load?: LoadOptions;
  /** Where the model comes from (tests). */
  modelLoad?: Omit<LoadModelOptions, "tokenizer">;
  /**
   * Write into `out` even when it is not an actpat run or holds a run of another configuration (`--force`;
   * see {@link RunDirOptions.force}).
   */
  force?: boolean;
  /** Load weights holding NaN or ±Inf, with a warning, instead of refusing them (`--allow-nonfinite`). */
  allowNonfinite?: boolean;
}

/** What {@link experimentRun} records besides the run options. */
export interface ExperimentSpec extends RunOptions {
  /** The task's name: the manifest's `command` and the run directory's prefix. */
  command: string;
  /** The settings the manifest records. */
  config: Record<string, unknown>;
  seed: number | null;
  /** The model, when the experiment loaded it already to check its settings before any directory is made. */
  loaded?: LoadedModel;
}

/** What an experiment's stages work with. */
export interface ExperimentContext {
  run: RunDir;
  model: LoadedModel;
}

/**
 * Makes (or resumes) the run directory, loads the model and records its digests in the manifest, then runs
 * `stages`.
 */
export async function experimentRun<T>(
  spec: ExperimentSpec,
  stages: (ctx: ExperimentContext) => Promise<T>,
): Promise<T> {
  const runOptions = {
    command: spec.command,
    argv: spec.argv,
    config: spec.config,
    seed: spec.seed,
    executionProvider: spec.engine.ep,
    dir: spec.out,
    root: spec.root,
    force: spec.force ?? false,
  };
  return await withRunDir(runOptions, async (run) => {
    const model = spec.loaded ??
      await loadModel(spec.model, {
        ...spec.modelLoad,
        ...(spec.tokenizer ? { tokenizer: spec.tokenizer } : {}),
        allowNonfinite: spec.allowNonfinite ?? false,
      });
    await run.recordModel(modelRecord(model));
    return await stages({ run, model });
  });
}
