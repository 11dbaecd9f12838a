/**
 * A calibration cell that cannot be built does not abort `reproduce`: on stories260K with the embedded data,
 * transfer asks 200 BoolQ calibration sequences of the 200-row piece (the fill prompts run out: impossible)
 * beside C4 (possible); the BoolQ cell is recorded as cannot-be-built in transfer.csv and the manifests, the
 * C4 cell is evaluated, and the next stage (massive) still runs.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runTask } from "./fixtures/run_task.ts";
import { readReproduceConfig } from "../src/experiments/reproduce/mod.ts";
import { readCsv } from "../src/results/csv.ts";
import { TRANSFER_SCHEMA } from "../src/experiments/prune_eval/transfer.ts";

Deno.test({
  name:
    "reproduce: an impossible calibration cell is recorded as cannot-be-built; other cells and stages run",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "actpat_cannot_build_" });
    try {
      const config = await readReproduceConfig();
      const transfer = {
        ...config.transfer!,
        calibrations: ["c4:train-first100", "boolq:validation-first200"],
        tasks: ["boolq"],
        nsamples: 200,
        limit: 8,
      };
      await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify({ ...config, transfer }));
      const out = join(dir, "run");
      const run = await runTask("reproduce.ts", [
        "--config",
        join(dir, "config.json"),
        "--out",
        out,
        "--only",
        "transfer,massive",
        "--no-pdf",
      ]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /transfer\s+ran in/);
      assert.match(run.stdout, /massive\s+ran in/);
      const rows = await readCsv(join(out, "05-transfer", "transfer.csv"), TRANSFER_SCHEMA);
      const boolq = rows.filter((r) => r.calibration === "boolq:validation-first200");
      assert.equal(boolq.length, 1);
      assert.equal(boolq[0].status, "cannot-be-built");
      assert.equal(boolq[0].metric, "cannot-be-built");
      assert.equal(boolq[0].value, null);
      assert.match(
        String(boolq[0].reason),
        /^Cannot build the calibration set boolq\/validation-first200 \(200 × 128 tokens\): .*ran past the 200 rows/,
      );
      const c4 = rows.filter((r) => r.calibration === "c4:train-first100");
      assert.ok(c4.length > 0 && c4.every((r) => r.status === "ok" && typeof r.value === "number"));
      const manifest = JSON.parse(await Deno.readTextFile(join(out, "05-transfer", "manifest.json")));
      const cell = manifest.config.runs.find((r: { calibration: string }) =>
        r.calibration === "boolq:validation-first200"
      );
      assert.equal(cell.status, "cannot-be-built");
      assert.equal(cell.pruning.cannotBeBuilt.nsamples, 200);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
