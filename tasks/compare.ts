/**
 * `deno task compare RUN_A RUN_B [--tolerances FILE] [--out DIR] [--max-lines N]`: compares every CSV of two
 * run directories (A is the reference) and prints what moved. It reads the runs and never writes into them:
 * only `--out DIR` writes `DIR/compare.csv` (every compared cell), before the summary is printed. Exits 1
 * when a value moved beyond tolerance or a row or column of A is missing from B, 2 when it cannot compare
 * or write (src/util/exit_codes.ts).
 */
import { join } from "node:path";
import { ActpatError, runMain, UsageError } from "../src/util/errors.ts";
import { nonNegativeInt, parseTaskArgs } from "./_cli.ts";
import { EXIT_CODES } from "../src/util/exit_codes.ts";
import { compareRuns, formatSummary, writeCompareCsv } from "../src/results/compare.ts";
import { DEFAULT_TOLERANCES_PATH, loadTolerances } from "../src/results/tolerances.ts";

const USAGE = "usage: deno task compare RUN_A RUN_B [--tolerances FILE] [--out DIR] [--max-lines N]";

await runMain(async () => {
  const { values, positionals } = parseTaskArgs("compare", USAGE, Deno.args, {
    tolerances: { type: "string" },
    out: { type: "string" },
    "max-lines": { type: "string", default: "10" },
    help: { type: "boolean", short: "h" },
  }, true);
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (positionals.length !== 2) {
    throw new UsageError(
      "compare runs",
      `expected RUN_A and RUN_B, got ${positionals.length} arguments\n${USAGE}`,
    );
  }
  const maxLines = nonNegativeInt("max-lines", values["max-lines"])!;
  const [runA, runB] = positionals;
  const tolerances = await loadTolerances(values.tolerances ?? DEFAULT_TOLERANCES_PATH);
  const result = await compareRuns(runA, runB, tolerances);
  // Written first: a folder that cannot be written fails (exit 2) before any "OK" or "FAIL" is printed.
  const csv = values.out === undefined ? undefined : join(values.out, "compare.csv");
  if (csv !== undefined) await writeCompareCsv(csv, result);
  console.log(formatSummary(result, maxLines));
  if (csv !== undefined) console.log(`wrote ${csv}`);
  if (result.failed) Deno.exit(EXIT_CODES.regression);
});
