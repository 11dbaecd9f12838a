/**
 * `deno task compare RUN_A RUN_B [--tolerances FILE] [--out DIR] [--max-lines N]`: compares every CSV of two
 * run directories (A is the reference) and prints what moved. It reads the runs and never writes into them:
 * only `--out DIR` writes `DIR/compare.csv` (every compared cell), before the summary is printed. Exits 1
 * when a value moved beyond tolerance or a row or column of A is missing from B, 2 when it cannot compare
 * or write (src/util/exit_codes.ts).
 * `--published` also prints the papers' numbers (paper/published.json, or `--published-file`) beside
 * RUN_B's, never failing on them.
 */
import { join } from "node:path";
import { runMain, UsageError } from "../src/util/errors.ts";
import { nonNegativeInt, parseTaskArgs } from "./_cli.ts";
import { EXIT_CODES } from "../src/util/exit_codes.ts";
import { compareRuns, formatSummary, writeCompareCsv } from "../src/results/compare.ts";
import { DEFAULT_TOLERANCES_PATH, loadTolerances } from "../src/results/tolerances.ts";
import {
  DEFAULT_PUBLISHED_PATH,
  formatPublished,
  loadPublished,
  publishedBeside,
} from "../src/results/published.ts";

const USAGE =
  "usage: deno task compare RUN_A RUN_B [--tolerances FILE] [--out DIR] [--max-lines N] [--published [--published-file FILE]]";

await runMain(async () => {
  const { values, positionals } = parseTaskArgs("compare", USAGE, Deno.args, {
    tolerances: { type: "string" },
    out: { type: "string" },
    "max-lines": { type: "string", default: "10" },
    published: { type: "boolean" },
    "published-file": { type: "string" },
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
  if (values.published) {
    // The paper's numbers beside run B's: a report, never a gate.
    const manifest = JSON.parse(await Deno.readTextFile(join(runB, "manifest.json")));
    const model = String(manifest.config?.model ?? manifest.model?.ref ?? "");
    const published = await loadPublished(values["published-file"] ?? DEFAULT_PUBLISHED_PATH);
    console.log(formatPublished(await publishedBeside(runB, model, published)));
  }
  if (result.failed) Deno.exit(EXIT_CODES.regression);
});
