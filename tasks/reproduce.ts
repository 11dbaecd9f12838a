/**
 * `deno task reproduce [--config FILE] [--out DIR] [--only density,sts,...] [--no-pdf]`: every experiment of the
 * configuration (default paper/configs/default.json: stories260K, minutes on 2 CPU cores) into one run
 * directory, then its figures and report.pdf. `--out` an existing run resumes it: unchanged stages are reused.
 * See src/experiments/reproduce/.
 */
import {
  DEFAULT_CONFIG_PATH,
  readReproduceConfig,
  REPRODUCE_STAGES,
  type ReproduceStage,
  runReproduction,
} from "../src/experiments/reproduce/mod.ts";
import { renderReport } from "../src/report/report.ts";
import { ActpatError, runMain } from "../src/util/errors.ts";
import { listFlag, overrideFlags, parseTaskArgs } from "./_cli.ts";
import { fileURLToPath } from "node:url";

const STAGE_NAMES = REPRODUCE_STAGES.map((s) => s.name);
const USAGE = `usage: deno task reproduce [--config FILE] [--out DIR] [--only ${
  STAGE_NAMES.join(",")
}] [--no-pdf]`;

await runMain(async () => {
  const { values } = parseTaskArgs("reproduce", USAGE, Deno.args, {
    config: { type: "string" },
    out: { type: "string" },
    only: { type: "string" },
    "no-pdf": { type: "boolean" },
    "allow-nonfinite": { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const only = listFlag(values.only);
  for (const stage of only ?? []) {
    if (!(STAGE_NAMES as string[]).includes(stage)) {
      throw new ActpatError("parse --only", `unknown stage "${stage}" (stages: ${STAGE_NAMES.join(", ")})`);
    }
  }
  const configPath = values.config ?? fileURLToPath(DEFAULT_CONFIG_PATH);
  const config = await readReproduceConfig(configPath);
  console.error(`reproduce: ${config.title}`);
  const result = await runReproduction({
    config,
    configPath,
    out: values.out,
    argv: Deno.args,
    ...overrideFlags(values),
    only: only as ReproduceStage[] | undefined,
  });
  const report = await renderReport(result.dir, { pdf: !values["no-pdf"] });
  console.log(`run directory: ${result.dir}`);
  for (const s of result.stages) {
    const what = s.status === "skipped"
      ? `skipped (${s.reason})`
      : `${s.status} in ${s.seconds.toFixed(1)} s`;
    console.log(`  ${s.stage.padEnd(10)} ${what}`);
  }
  console.log(`report: ${report.pdf ?? report.html}`);
  for (const line of report.notRun) console.log(`not run: ${line}`);
});
