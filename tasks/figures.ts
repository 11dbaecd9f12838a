/**
 * `deno task figures RUN_DIR [--no-pdf]`: renders the run's figures to RUN_DIR/figures/*.svg (Vega-Lite, no
 * browser) and its report to RUN_DIR/report.html and RUN_DIR/report.pdf (Chromium through puppeteer-core).
 */
import { runMain, UsageError } from "../src/util/errors.ts";
import { parseTaskArgs } from "./_cli.ts";
import { renderReport } from "../src/report/report.ts";

const USAGE = "usage: deno task figures RUN_DIR [--no-pdf]";

await runMain(async () => {
  const { values, positionals } = parseTaskArgs("figures", USAGE, Deno.args, {
    "no-pdf": { type: "boolean" },
    help: { type: "boolean", short: "h" },
  }, true);
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (positionals.length !== 1) {
    throw new UsageError(
      "render figures",
      `expected one RUN_DIR, got ${positionals.length} arguments\n${USAGE}`,
    );
  }
  const out = await renderReport(positionals[0], { pdf: !values["no-pdf"] });
  for (const path of out.svgs) console.log(`wrote ${path}`);
  console.log(`wrote ${out.html}`);
  if (out.pdf) console.log(`wrote ${out.pdf}`);
  for (const line of out.notRun) console.log(`not run: ${line}`);
});
