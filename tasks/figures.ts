/**
 * `deno task figures RUN_DIR [--no-pdf]`: renders the run's figures to RUN_DIR/figures/*.svg (Vega-Lite, no
 * browser) and its report to RUN_DIR/report.html and RUN_DIR/report.pdf (Chromium through puppeteer-core).
 */
import { parseArgs } from "node:util";
import { ActpatError, runMain } from "../src/util/errors.ts";
import { renderReport } from "../src/report/report.ts";

const USAGE = "usage: deno task figures RUN_DIR [--no-pdf]";

await runMain(async () => {
  let parsed;
  try {
    parsed = parseArgs({
      args: Deno.args,
      allowPositionals: true,
      strict: true,
      options: { "no-pdf": { type: "boolean" }, help: { type: "boolean", short: "h" } },
    });
  } catch (err) {
    throw new ActpatError("render figures", `${(err as Error).message} (${USAGE})`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (positionals.length !== 1) {
    throw new ActpatError(
      "render figures",
      `expected one RUN_DIR, got ${positionals.length} arguments (${USAGE})`,
    );
  }
  const out = await renderReport(positionals[0], { pdf: !values["no-pdf"] });
  for (const path of out.svgs) console.log(`wrote ${path}`);
  console.log(`wrote ${out.html}`);
  if (out.pdf) console.log(`wrote ${out.pdf}`);
  for (const line of out.notRun) console.log(`not run: ${line}`);
});
