import assert from "node:assert/strict";
import { join } from "node:path";
import { tempDir } from "../../../test/fixtures/temp_dir.ts";
import { readDensityCounts } from "./counts.ts";

const HEADER = "model,dataset,layer,module,params,active,fraction,gamma,gamma_spec,samples,seed";

async function write(dir: string, rows: string[]): Promise<void> {
  await Deno.writeTextFile(join(dir, "density.csv"), [HEADER, ...rows].join("\n") + "\n");
}

Deno.test("readDensityCounts: N_i sums the modules of each layer for the chosen dataset", async () => {
  await using tmp = await tempDir();
  await write(tmp.path, [
    "m,c4,0,q_proj,9,3,0,1e-6,1e-6,8,0",
    "m,c4,0,down_proj,9,4,0,1e-6,1e-6,8,0",
    "m,c4,0,all,18,7,0,1e-6,1e-6,8,0",
    "m,c4,1,q_proj,9,1,0,1e-6,1e-6,8,0",
    "m,boolq,0,q_proj,9,5,0,1e-6,1e-6,8,0",
    "m,boolq,1,q_proj,9,6,0,1e-6,1e-6,8,0",
  ]);
  const c4 = await readDensityCounts(tmp.path, { numLayers: 2, preferred: "c4" });
  assert.deepEqual(c4, { file: join(tmp.path, "density.csv"), dataset: "c4", gamma: "1e-6", counts: [7, 1] });
  assert.deepEqual((await readDensityCounts(tmp.path, { numLayers: 2, dataset: "boolq" })).counts, [5, 6]);
  await assert.rejects(
    () => readDensityCounts(tmp.path, { numLayers: 2 }),
    /it holds datasets c4, boolq: choose one \(--density-dataset\)/,
  );
  await assert.rejects(
    () => readDensityCounts(tmp.path, { numLayers: 3, dataset: "c4" }),
    /no rows for layer 2 of dataset "c4"/,
  );
  await assert.rejects(
    () => readDensityCounts(tmp.path, { numLayers: 2, dataset: "siqa" }),
    /no rows for dataset "siqa" \(it has c4, boolq\)/,
  );
  await assert.rejects(
    () => readDensityCounts(join(tmp.path, "nope"), { numLayers: 2 }),
    /density.csv: no such file/,
  );
});
