/**
 * The evaluation tasks of `deno task eval`: perplexity on the corpora that declare an evaluation split
 * (WikiText-2 test) and accuracy on the multiple-choice tasks, each on the split its dataset file names for the
 * scoring (lm-eval: the YAML's `test_split`, else `validation_split`; paper: `eval_one_shot`'s validation), and
 * whether that split can be had here.
 */
import {
  type DatasetHandle,
  DATASETS,
  type DatasetSpec,
  type Doc,
  type LoadOptions,
  openDataset,
  splitAvailability,
  splitSpec,
} from "../../data/mod.ts";
import { ActpatError, UsageError } from "../../util/errors.ts";
import type { Scoring } from "./multiple_choice.ts";

/** Whether `spec` is a task `deno task eval` can score. */
function isEvalTask(spec: DatasetSpec<Doc>): boolean {
  return spec.kind === "multiple-choice" ||
    (spec.kind === "perplexity-corpus" && spec.evalSplit !== undefined);
}

/** Every evaluation task, in registry order (the paper's Table 1: wikitext2, boolq, siqa, piqa, hellaswag, mmlu). */
export const DEFAULT_EVAL_TASKS: readonly string[] = DATASETS.names().filter((n) =>
  isEvalTask(DATASETS.get(n))
);

/** The multiple-choice tasks among them (the paper's Table 2 columns). */
export const CHOICE_TASKS: readonly string[] = DEFAULT_EVAL_TASKS.filter((n) =>
  DATASETS.get(n).kind === "multiple-choice"
);

/** What a task computes. */
export type EvalKind = "perplexity" | "multiple-choice";

/** One task to evaluate. */
export interface EvalTask {
  name: string;
  kind: EvalKind;
  split: string;
}

/** The split a task is scored on under `scoring`, as its dataset file declares it. */
export function evalSplit(spec: DatasetSpec<Doc>, scoring: Scoring): string | undefined {
  if (spec.kind === "perplexity-corpus") return spec.evalSplit;
  if (spec.kind !== "multiple-choice") return undefined;
  if (scoring === "lm-eval") return spec.task.split;
  if (!spec.paper?.eval) {
    throw new ActpatError(
      `evaluate "${spec.name}" with --scoring paper`,
      "the paper gives no zero-shot protocol for it",
    );
  }
  return spec.paper.eval.split;
}

/**
 * The few-shot examples a task gets: `shots` when given, else its scoring's own (lm-eval 0; paper: the prefix
 * its dataset file declares, MMLU's five auxiliary_train rows, else 0).
 */
export function taskShots(name: string, scoring: Scoring, shots: number | null): number {
  if (shots !== null) return shots;
  const spec = DATASETS.get(name);
  return scoring === "paper" ? spec.paper?.eval?.shots?.count ?? 0 : 0;
}

/**
 * Resolves task names (unknown or non-evaluation datasets throw, naming the valid ones); `splits` replaces
 * the evaluated split of the tasks it names (e.g. a piece the repository embeds).
 */
export function evalTasks(
  names: readonly string[],
  options: { splits?: Readonly<Record<string, string>>; scoring?: Scoring } = {},
): EvalTask[] {
  if (names.length === 0) throw new UsageError("parse --tasks", "no task given");
  const seen = new Set<string>();
  return names.map((name) => {
    const spec = DATASETS.get(name);
    const declared = isEvalTask(spec) ? evalSplit(spec, options.scoring ?? "lm-eval") : undefined;
    if (!declared) {
      throw new ActpatError(
        `evaluate "${name}"`,
        `it is a ${spec.kind} dataset; evaluation tasks are ${DEFAULT_EVAL_TASKS.join(", ")}`,
      );
    }
    if (seen.has(name)) throw new UsageError("parse --tasks", `"${name}" is listed twice`);
    seen.add(name);
    const split = options.splits?.[name] ?? declared;
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
