/**
 * `deno task data --list [--mirror DIR] [--no-count] [--json]`: every registered dataset and split, whether it
 * is embedded in the repository (datasets/), in the mirror (`$ACTPAT_MIRROR`), in the cache, downloadable or
 * unavailable, and for those on disk the row count next to the official size. Exits 1 when a split on disk
 * has the wrong row count or cannot be read.
 */
import { ActpatError, runMain, UsageError } from "../src/util/errors.ts";
import { parseTaskArgs } from "./_cli.ts";
import { datasetStatus, formatStatus } from "../src/data/availability.ts";
import { mirrorRoot } from "../src/data/resolve.ts";
import { cacheDir, embeddedDir } from "../src/util/locations.ts";
import { join } from "node:path";

const USAGE = "usage: deno task data --list [--mirror DIR] [--cache DIR] [--no-count] [--json]";

await runMain(async () => {
  const { values } = parseTaskArgs("data", USAGE, Deno.args, {
    list: { type: "boolean" },
    mirror: { type: "string" },
    cache: { type: "string" },
    "no-count": { type: "boolean" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.list) throw new UsageError("run data", `nothing to do: pass --list\n${USAGE}`);
  const where = { mirror: values.mirror, cache: values.cache ?? cacheDir() };
  const lines = await datasetStatus({ ...where, count: !values["no-count"] });
  if (values.json) console.log(JSON.stringify(lines, null, 2));
  else {
    console.log(`embedded: ${join(embeddedDir(), "datasets")}`);
    console.log(`mirror:   ${mirrorRoot(where) ?? "(none: set ACTPAT_MIRROR or --mirror)"}`);
    console.log(`cache:    ${where.cache}\n`);
    console.log(formatStatus(lines));
  }
  const bad = lines.filter((l) => l.error || (l.rows !== undefined && l.rows !== l.officialRows));
  if (bad.length > 0) {
    throw new ActpatError(
      "check datasets",
      bad.map((l) => `${l.dataset}/${l.split}: ${l.error ?? `${l.rows} rows, official ${l.officialRows}`}`)
        .join("; "),
    );
  }
});
