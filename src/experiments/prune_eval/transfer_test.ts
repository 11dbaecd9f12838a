import assert from "node:assert/strict";
import { join } from "node:path";
import { needsMirror, STORIES_HF } from "../../../test/fixtures/mirror.ts";
import { tempDir } from "../../../test/fixtures/temp_dir.ts";
import { readCsv } from "../../results/csv.ts";
import { defaultEvalConfig } from "../eval/mod.ts";
import { defaultPruneConfig } from "../prune/mod.ts";
import { runTransfer, TRANSFER_SCHEMA } from "./transfer.ts";

Deno.test(
  "transfer on stories260K: calibration × task matrix; a calibration set that cannot be built is its own cell",
  needsMirror,
  async () => {
    await using tmp = await tempDir();
    const { dir, rows } = await runTransfer({
      model: STORIES_HF,
      calibrations: [
        { dataset: "piqa", split: "validation" },
        { dataset: "boolq" },
        { dataset: "hellaswag" },
      ],
      prune: defaultPruneConfig({ nsamples: 4, seqLen: 32 }),
      eval: defaultEvalConfig({ tasks: ["piqa", "siqa"], limit: 3 }),
      dense: true,
      keepModels: true,
      engine: { ep: "cpu", dtype: "float32" },
      out: join(tmp.path, "run"),
      load: { download: false },
      quiet: true,
    });
    assert.deepEqual(await readCsv(join(dir, "transfer.csv"), TRANSFER_SCHEMA), rows);
    const cells = rows.filter((r) => r.metric === "acc").map((r) =>
      `${r.calibration}|${r.calibration_split}|${r.task}`
    );
    assert.deepEqual(cells, [
      "dense|null|piqa",
      "dense|null|siqa",
      "piqa:validation|validation|piqa",
      "piqa:validation|validation|siqa",
      // BoolQ's train split is not in the mirror: the calibration falls back to validation and says so.
      "boolq|validation|piqa",
      "boolq|validation|siqa",
    ]);
    assert(rows.filter((r) => r.status === "ok").every((r) => r.n === 3));
    // HellaSwag calibrates on the embedded 200-row piece (no train split on disk), too few rows for the
    // paper's 100 fill prompts per sequence: that cell cannot be built, the others run.
    const hella = rows.filter((r) => r.calibration === "hellaswag");
    assert.deepEqual(hella.map((r) => [r.task, r.metric, r.value, r.status]), [
      ["piqa", "cannot-be-built", null, "cannot-be-built"],
      ["siqa", "cannot-be-built", null, "cannot-be-built"],
    ]);
    assert.match(
      String(hella[0].reason),
      /^Cannot build the calibration set hellaswag\/validation-subset200 .*ran past/,
    );
    const manifest = JSON.parse(await Deno.readTextFile(join(dir, "manifest.json")));
    assert.deepEqual(manifest.config.skippedCalibrations, []);
    const cell = manifest.config.runs.find((r: { calibration: string }) => r.calibration === "hellaswag");
    assert.equal(cell.status, "cannot-be-built");
    const boolq = manifest.config.runs.find((r: { calibration: string }) => r.calibration === "boolq");
    assert.match(boolq.pruning.calibration.note, /boolq\/train is not available/);
    // --keep-models leaves loadable checkpoints.
    await Deno.stat(join(dir, "models", "piqa_validation", "model.safetensors.index.json"));
    await Deno.stat(join(dir, "models", "piqa_validation", "pruning.json"));
  },
);
