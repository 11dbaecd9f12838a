import assert from "node:assert/strict";
import { fixtureManifest } from "../../test/fixtures/run_fixture.ts";
import { extractProvenance, skipReason } from "./provenance.ts";
import { Manifest } from "../results/manifest.ts";

Deno.test("provenance: the fixture manifest's model, weights, datasets, EP, versions and dates", () => {
  assert.ok(Manifest.safeParse(fixtureManifest()).success, "the fixture follows the manifest schema");
  const p = extractProvenance(fixtureManifest());
  assert.equal(p.model, "karpathy/tinyllamas/stories260K");
  assert.equal(p.revision, "main");
  assert.deepEqual(p.weights, [{ path: "stories260K.bin", sha256: "a".repeat(64) }]);
  assert.deepEqual(p.datasets.map((d) => d.name), [
    "boolq (dev)",
    "humaneval (dev)",
    "siqa (dev)",
    "c4 (dev)",
  ]);
  assert.equal(p.datasets[0].files[0].sha256, "b".repeat(64));
  assert.equal(p.executionProvider, "cpu");
  assert.deepEqual(p.versions, {
    actpat: "0.1.0",
    deno: "2.9.6",
    v8: "14.0",
    typescript: "5.9",
    onnxruntime: "1.30.0",
  });
  assert.deepEqual(p.dates, { startedAt: "2025-01-15T10:00:00Z", endedAt: "2025-01-15T10:03:12Z" });
  assert.equal(p.seed, "0");
  assert.equal(p.command, "deno task reproduce --config paper/configs/default.json");
  assert.equal(p.status, "ok");
  assert.equal(p.host, "linux x86_64");
});

Deno.test("provenance: record layouts, missing datasets, and nothing invented for an empty manifest", () => {
  const p = extractProvenance({
    model: "org/model",
    weights: { "model.safetensors": "c".repeat(64) },
    datasets: {
      hellaswag: { missing: true, reason: "not in the mirror and not downloadable" },
      boolq: "d".repeat(64),
    },
    command: ["deno", "task", "reproduce"],
    config: { execution_provider: "webgpu" },
  });
  assert.equal(p.model, "org/model");
  assert.deepEqual(p.weights, [{ path: "model.safetensors", sha256: "c".repeat(64) }]);
  assert.equal(p.datasets[0].missing, "not in the mirror and not downloadable");
  assert.deepEqual(p.datasets[1], {
    name: "boolq",
    files: [{ path: "boolq", sha256: "d".repeat(64) }],
  });
  assert.equal(p.command, "deno task reproduce");
  assert.equal(p.executionProvider, "webgpu");
  const empty = extractProvenance(undefined);
  assert.deepEqual(
    Object.entries(empty).filter(([, v]) => v !== undefined),
    [["weights", []], ["datasets", []], ["versions", {}], ["dates", {}], ["skipped", []]],
  );
});

Deno.test("skip reasons: stage records keyed by name or listed with a stage field", () => {
  assert.equal(
    skipReason(fixtureManifest({ transfer: "hellaswag missing" }), "transfer"),
    "hellaswag missing",
  );
  assert.equal(skipReason(fixtureManifest({ transfer: "hellaswag missing" }), "sts"), undefined);
  assert.equal(skipReason({ skipped: [{ stage: "sts", reason: "stsb absent" }] }, "sts"), "stsb absent");
  assert.equal(skipReason({ stages: { density: { status: "done" } } }, "density"), undefined);
  assert.equal(skipReason(undefined, "density"), undefined);
  assert.equal(
    skipReason({ status: "failed", error: "Cannot load model: x" }, "sts"),
    "the run failed: Cannot load model: x",
  );
  assert.equal(skipReason({ status: "ok", error: null }, "sts"), undefined);
});
