import { z } from "zod";
import { ActpatError } from "../util/errors.ts";

/**
 * Tolerances for `compare`: how far a number may move between two runs before it counts as a change.
 * A value passes when |a − b| ≤ abs + rel·|a|, with `a` the reference run (numpy's `isclose` convention), so
 * `rel` scales with the reference and `abs` covers values near zero.
 */
const bound = z.object({
  abs: z.number().nonnegative(),
  rel: z.number().nonnegative(),
});

const rule = bound.extend({
  /** CSV file name (basename, e.g. `density.csv`); absent: any file. */
  file: z.string().min(1).optional(),
  /** Column name; absent: any column. */
  column: z.string().min(1).optional(),
  /** Row conditions on text columns of the reference row, e.g. `{ "metric": "ppl" }` for long-format CSVs. */
  where: z.record(z.string(), z.string()).optional(),
  /**
   * The file is a histogram (one row per non-empty bin): compared per group as a distribution, stable under
   * bin-edge jitter (src/results/_compare_histogram.ts); `abs` + `rel` · group total then bounds the earth
   * mover's distance in bins. Such a rule names a `file` and applies to the whole file.
   */
  histogram: z.strictObject({
    groupBy: z.array(z.string().min(1)).min(1),
    bin: z.string().min(1),
    count: z.string().min(1),
    maxShift: z.number().int().nonnegative(),
  }).optional(),
  /** Why this bound: the noise it absorbs. Shown nowhere but the file; required so every number is argued. */
  why: z.string().min(1),
});

/** The tolerance file: a default bound and an ordered list of rules; the first matching rule wins. */
export const tolerancesSchema = z.object({
  default: bound.extend({ why: z.string().min(1) }),
  rules: z.array(rule.refine((r) => !r.histogram || (r.file && !r.column && !r.where), {
    message: "a histogram rule names a file and no column or where",
  })),
}).strict();

export type Tolerances = z.infer<typeof tolerancesSchema>;

/** One rule of the tolerances file. */
type ToleranceRule = z.infer<typeof rule>;

/** The bound that applies to one cell, with the rule it came from (for the summary). */
export interface Bound {
  abs: number;
  rel: number;
}

/** The repository's default tolerance file, `paper/tolerances.json`. */
export const DEFAULT_TOLERANCES_PATH = new URL("../../paper/tolerances.json", import.meta.url);

/** Reads and validates a tolerance file (default: `paper/tolerances.json`). */
export async function loadTolerances(path: string | URL = DEFAULT_TOLERANCES_PATH): Promise<Tolerances> {
  const shown = path instanceof URL ? path.pathname : path;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new ActpatError("read tolerances", `${shown}: ${(err as Error).message}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ActpatError("read tolerances", `${shown} is not JSON: ${(err as Error).message}`);
  }
  const parsed = tolerancesSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ActpatError(
      "read tolerances",
      `${shown}: ${issue.path.join(".") || "(root)"}: ${issue.message}`,
    );
  }
  return parsed.data;
}

/**
 * The bound for `column` of `file` in a row whose text columns are `row`: the first rule whose file, column
 * and `where` all match, else the default.
 */
export function toleranceFor(
  tolerances: Tolerances,
  file: string,
  column: string,
  row: Readonly<Record<string, string>>,
): Bound {
  const base = file.split("/").pop()!;
  for (const r of tolerances.rules) {
    if (r.histogram) continue;
    if (r.file !== undefined && r.file !== base) continue;
    if (r.column !== undefined && r.column !== column) continue;
    if (r.where && !Object.entries(r.where).every(([k, v]) => row[k] === v)) continue;
    return { abs: r.abs, rel: r.rel };
  }
  return { abs: tolerances.default.abs, rel: tolerances.default.rel };
}

/** The histogram rule for `file` (basename match), if the tolerances declare it a histogram. */
export function histogramRuleFor(tolerances: Tolerances, file: string): ToleranceRule | undefined {
  const base = file.split("/").pop()!;
  return tolerances.rules.find((r) => r.histogram && r.file === base);
}

/** Largest |a − b| allowed for reference value `a` under `bound`. */
export function allowedDiff(bound: Bound, a: number): number {
  return bound.abs + bound.rel * Math.abs(a);
}
