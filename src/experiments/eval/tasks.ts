/**
 * The evaluation tasks of `deno task eval`: WikiText-2 perplexity and the zero-shot multiple-choice tasks,
 * each with the split lm-evaluation-harness evaluates (its `test_split`, else `validation_split`), and whether
 * that split can be had here.
 */
import {
  type DatasetHandle,
  DATASETS,
  type LoadOptions,
  openDataset,
  splitAvailability,
  splitSpec,
} from "../../data/mod.ts";
import { ActpatError, UsageError } from "../../util/errors.ts";

/** The tasks of the paper's Table 1, in its order. */
export const DEFAULT_EVAL_TASKS = ["wikitext2", "boolq", "siqa", "piqa", "hellaswag", "mmlu"] as const;

/**
 * Evaluated split per task: lm-eval's boolq/piqa/social_iqa/hellaswag YAMLs have no test split with labels
 * and use validation; mmlu uses test (few-shot examples from dev); WikiText-2 perplexity uses test (Wanda).
 */
export const EVAL_SPLITS: Record<string, string> = {
  wikitext2: "test",
  boolq: "validation",
  piqa: "validation",
  siqa: "validation",
  hellaswag: "validation",
  mmlu: "test",
};

/** What a task computes. */
export type EvalKind = "perplexity" | "multiple-choice";

/** One task to evaluate. */
export interface EvalTask {
  name: string;
  kind: EvalKind;
  split: string;
}

/**
 * Resolves task names (unknown or non-evaluation datasets throw, naming the valid ones); `splits` replaces
 * the evaluated split of the tasks it names (e.g. a piece the repository embeds).
 */
export function evalTasks(
  names: readonly string[],
  splits: Readonly<Record<string, string>> = {},
): EvalTask[] {
  if (names.length === 0) throw new UsageError("parse --tasks", "no task given");
  const seen = new Set<string>();
  return names.map((name) => {
    const spec = DATASETS.get(name);
    const split = EVAL_SPLITS[name] && (splits[name] ?? EVAL_SPLITS[name]);
    if (!split) {
      throw new ActpatError(
        `evaluate "${name}"`,
        `it is a ${spec.kind} dataset; evaluation tasks are ${Object.keys(EVAL_SPLITS).join(", ")}`,
      );
    }
    if (seen.has(name)) throw new UsageError("parse --tasks", `"${name}" is listed twice`);
    seen.add(name);
    return { name, kind: spec.kind === "perplexity-corpus" ? "perplexity" : "multiple-choice", split };
  });
}

/** A task's dataset opened, or why it is skipped. */
export type OpenedTask = { task: EvalTask; dataset: DatasetHandle } | { task: EvalTask; skipped: string };

/**
 * Opens each task's evaluation split. A split in neither the mirror nor the cache whose download is
 * impossible or fails is skipped with the reason; a split on disk that does not load (e.g. a checksum
 * mismatch) is an error.
 */
export async function openEvalTasks(
  tasks: readonly EvalTask[],
  load: LoadOptions = {},
): Promise<OpenedTask[]> {
  const out: OpenedTask[] = [];
  for (const task of tasks) {
    const dataset = openDataset(task.name, load);
    const spec = dataset.spec;
    const availability = await splitAvailability(
      spec.folder ?? spec.name,
      splitSpec(spec, task.split).sources,
      load,
    );
    if (availability === "unavailable" || (availability === "downloadable" && load.download === false)) {
      out.push({
        task,
        skipped: `split "${task.split}" is not in the mirror or the cache and cannot be downloaded`,
      });
      continue;
    }
    if (availability === "downloadable") {
      try {
        await dataset.split(task.split);
      } catch (err) {
        out.push({ task, skipped: err instanceof Error ? err.message : String(err) });
        continue;
      }
    }
    await dataset.split(task.split);
    out.push({ task, dataset });
  }
  return out;
}
