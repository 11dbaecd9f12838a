import assert from "node:assert/strict";
import { join } from "node:path";
import denoJson from "../../deno.json" with { type: "json" };
import { loadSplit } from "../data/load.ts";
import { testMirror } from "../../test/fixtures/datasets.ts";
import {
  datasetRecord,
  Manifest,
  newManifest,
  readManifest,
  shellLine,
  versions,
  writeManifest,
} from "./manifest.ts";
import { needsMirror } from "../../test/fixtures/mirror.ts";

Deno.test("versions come from deno.json and the running Deno", () => {
  const v = versions();
  assert.equal(v.actpat, denoJson.version);
  assert.equal(v.deno, Deno.version.deno);
  // The pinned npm specifier "npm:onnxruntime-node@X.Y.Z" gives X.Y.Z.
  assert.equal(
    `npm:onnxruntime-node@${v.onnxruntime}`,
    (denoJson.imports as Record<string, string>)["onnxruntime-node"],
  );
});

Deno.test("shellLine quotes what a POSIX shell would split or expand", () => {
  assert.equal(
    shellLine(["deno", "task", "prune", "--model", "a b", "--x=it's", "--y=$HOME", "../m.bin"]),
    `deno task prune --model 'a b' '--x=it'"'"'s' '--y=$HOME' ../m.bin`,
  );
});

Deno.test("a full manifest validates, is written atomically and reads back equal", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const m = newManifest({
      command: "prune",
      argv: ["--model", "stories260K", "--sparsity", "0.5"],
      config: { model: "stories260K", sparsity: 0.5, nsamples: 128 },
      seed: 0,
      executionProvider: "cpu",
      now: new Date("2025-01-02T03:04:05.000Z"),
    });
    m.model = {
      ref: "stories260K",
      revision: null,
      files: [{ path: "/m/model.safetensors", sha256: "a".repeat(64), bytes: 10 }],
    };
    m.datasets.push({
      name: "c4",
      split: "train",
      files: [{ path: "/c/c4.json.gz", sha256: "b".repeat(64), bytes: 5, from: "cache", url: "https://x" }],
      windows: { seed: 0, seqLen: 128, docs: [3, 9], starts: [0, 17] },
    }, {
      name: "boolq",
      split: "validation",
      files: [{ path: "/m/dev.jsonl", sha256: "c".repeat(64), bytes: 7, from: "mirror" }],
      examples: { seed: 1, ids: [5, 2, 9] },
    });
    m.stages.push({
      name: "calibrate",
      inputsHash: "d".repeat(64),
      reused: false,
      startedAt: m.startedAt,
      endedAt: m.startedAt,
      seconds: 1.5,
    });
    m.outputs.push({
      file: "sparsity.csv",
      description: "per layer",
      columns: [{ name: "layer", type: "integer", description: "index" }],
    });
    m.status = "ok";
    m.endedAt = "2025-01-02T03:05:00.000Z";
    assert.equal(m.commandLine, "deno task prune --model stories260K --sparsity 0.5");
    const path = join(dir, "manifest.json");
    await writeManifest(path, m);
    assert.deepEqual(await readManifest(path), m);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["manifest.json"]);
    assert.equal(Manifest.safeParse(m).success, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("invalid manifests are refused on write and on read, naming the field", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "manifest.json");
    const m = newManifest({ command: "info" });
    m.model = { ref: "x", revision: null, files: [{ path: "w", sha256: "not-a-digest", bytes: 1 }] };
    await assert.rejects(
      writeManifest(path, m),
      /Cannot write .*manifest\.json: field "model\.files\.0\.sha256" not a hex sha256/,
    );
    await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
    await Deno.writeTextFile(path, JSON.stringify({ ...newManifest({ command: "info" }), status: "done" }));
    await assert.rejects(readManifest(path), /Cannot read .*manifest\.json: field "status"/);
    await Deno.writeTextFile(path, "{");
    await assert.rejects(readManifest(path), /Cannot read .*manifest\.json: /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("datasetRecord keeps the digests of a loaded split and the ids used", needsMirror, async () => {
  const loaded = await loadSplit("piqa", "validation", {
    mirror: testMirror(),
    download: false,
    cache: "/x",
  });
  const rec = datasetRecord(loaded, { examples: { seed: 3, ids: [4, 1] } });
  assert.deepEqual(rec.files.map((f) => [f.sha256.slice(0, 8), f.bytes, f.from]), [
    ["93503cc9", 495929, "mirror"],
    ["b4192dc3", 3676, "mirror"],
  ]);
  assert.deepEqual(rec.examples, { seed: 3, ids: [4, 1] });
  const m = newManifest({ command: "density" });
  m.datasets.push(rec);
  assert.equal(Manifest.safeParse(m).success, true);
});
