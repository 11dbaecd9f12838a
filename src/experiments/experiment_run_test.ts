import assert from "node:assert/strict";
import { join } from "node:path";
import { STORIES_HF } from "../../test/fixtures/mirror.ts";
import { tempDir } from "../../test/fixtures/temp_dir.ts";
import { readSafetensorsHeader } from "../model/safetensors.ts";
import { experimentRun } from "./experiment_run.ts";

/** A copy of stories260K-hf in `dir` with one NaN in layer 2's down_proj. */
async function nanModel(dir: string): Promise<string> {
  await Deno.mkdir(dir);
  for await (const e of Deno.readDir(STORIES_HF)) {
    await Deno.copyFile(join(STORIES_HF, e.name), join(dir, e.name));
  }
  const path = join(dir, "model.safetensors");
  const t = (await readSafetensorsHeader(path)).tensors.find((x) =>
    x.name === "model.layers.2.mlp.down_proj.weight"
  )!;
  const bytes = await Deno.readFile(path);
  if (t.source.kind === "file") new DataView(bytes.buffer).setFloat32(t.source.offset, NaN, true);
  await Deno.writeFile(path, bytes);
  return dir;
}

Deno.test("experimentRun takes force and allowNonfinite as options, not from the environment", async () => {
  await using tmp = await tempDir();
  for (const name of ["ACTPAT_FORCE", "ACTPAT_ALLOW_NONFINITE"]) Deno.env.delete(name);
  const model = await nanModel(join(tmp.path, "nan"));
  const out = join(tmp.path, "mine");
  await Deno.mkdir(out);
  await Deno.writeTextFile(join(out, "notes.txt"), "the user's\n");
  const spec = {
    model,
    engine: { ep: "cpu" as const, dtype: "float32" as const },
    out,
    command: "probe",
    config: {},
    seed: null,
    quiet: true,
  };
  await assert.rejects(experimentRun(spec, () => Promise.resolve()), /is not an actpat run/);
  await assert.rejects(experimentRun({ ...spec, force: true }, () => Promise.resolve()), /holds NaN or ±Inf/);
  const warnings: string[] = [];
  const warn = console.error;
  console.error = (line: string) => warnings.push(line);
  try {
    const layers = await experimentRun(
      { ...spec, force: true, allowNonfinite: true },
      ({ model }) => Promise.resolve(model.config.numLayers),
    );
    assert.equal(layers, 5);
  } finally {
    console.error = warn;
  }
  assert.match(warnings.join("\n"), /^warning: loading non-finite weights/m);
});
