/**
 * The checkpoints a benchmark runs on, from `--shapes` entries: `stories260K` (the mirror's Hugging Face
 * copy), `<shape>:<layers>` (a seeded random checkpoint with a real model's layer shapes, e.g.
 * `llama2-7b:2`, written into the checkpoints folder the first time, as `deno task make-checkpoint` would),
 * or any model reference (a checkpoint folder).
 */
import { join } from "node:path";
import { MODEL_SHAPES, type ModelShape, SHAPE_NAMES } from "../src/model/model_shapes.ts";
import { parseConfig, readConfig } from "../src/model/parse_config.ts";
import { expectedTensors } from "../src/model/llama_config.ts";
import { shapeConfigJson, writeRandomCheckpoint } from "../src/model/random_checkpoint.ts";
import { resolveModel } from "../src/model/resolve_model.ts";
import { openCheckpointWeights } from "../src/model/safetensors.ts";
import { validateWeights } from "../src/model/validate_weights.ts";
import { ActpatError } from "../src/util/errors.ts";
import type { BenchModel } from "./suites.ts";

/** Folder name of a random checkpoint inside the checkpoints folder (`llama2-7b-2l`). */
export function randomCheckpointName(shape: string, layers: number): string {
  return `${shape}-${layers}l`;
}

/** Parses `<shape>:<layers>`; null for other entries. */
export function parseShapeEntry(entry: string): { shape: ModelShape; layers: number } | null {
  const m = entry.match(/^([A-Za-z0-9_-]+):(\d+)$/);
  if (!m) return null;
  if (!(SHAPE_NAMES as string[]).includes(m[1])) {
    throw new ActpatError(
      "parse --shapes",
      `unknown shape "${m[1]}" in "${entry}" (shapes: ${SHAPE_NAMES.join(", ")})`,
    );
  }
  const layers = Number(m[2]);
  const max = MODEL_SHAPES[m[1] as ModelShape].num_hidden_layers;
  if (layers < 1 || layers > max) {
    throw new ActpatError("parse --shapes", `"${entry}": layers must be 1 to ${max}`);
  }
  return { shape: m[1] as ModelShape, layers };
}

/** Bytes a random checkpoint of `shape` with `layers` layers takes in its default (the real model's) dtype. */
export function randomCheckpointBytes(shape: ModelShape, layers: number): number {
  const base = MODEL_SHAPES[shape];
  const json = shapeConfigJson(shape, {
    layers,
    tokenizer: { vocabSize: base.vocab_size, bosTokenId: 1, eosTokenId: 2 },
  });
  const config = parseConfig(json, shape);
  const elements = expectedTensors(config).reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
  return elements * (config.torchDtype === "float32" ? 4 : 2);
}

async function freeBytes(dir: string): Promise<number> {
  try {
    const out = await new Deno.Command("df", { args: ["-Pk", dir], stdout: "piped", stderr: "null" })
      .output();
    const last = new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "";
    const avail = Number(last.split(/\s+/)[3]);
    return Number.isFinite(avail) ? avail * 1024 : Infinity;
  } catch {
    return Infinity;
  }
}

/** Loads (and for `<shape>:<layers>`, first builds when missing) the checkpoint of one `--shapes` entry. */
export async function benchModel(entry: string, checkpoints: string, quiet = false): Promise<BenchModel> {
  let dir: string;
  const random = parseShapeEntry(entry);
  if (random) {
    dir = join(checkpoints, randomCheckpointName(random.shape, random.layers));
    const exists = await Deno.stat(join(dir, "config.json")).then(() => true, () => false);
    if (!exists) {
      await Deno.mkdir(checkpoints, { recursive: true });
      const need = randomCheckpointBytes(random.shape, random.layers);
      const free = await freeBytes(checkpoints);
      if (free < need * 1.05) {
        throw new ActpatError(
          `make checkpoint ${dir}`,
          `it needs about ${(need / 2 ** 30).toFixed(1)} GiB and ${checkpoints} has ${
            (free / 2 ** 30).toFixed(1)
          } GiB free`,
        );
      }
      if (!quiet) console.error(`building ${dir} (${(need / 2 ** 30).toFixed(1)} GiB)`);
      await writeRandomCheckpoint(dir, { shape: random.shape, layers: random.layers, quiet });
    }
  } else {
    dir = (await resolveModel(entry === "stories260K" ? "stories260K-hf" : entry, { quiet })).path;
  }
  const config = await readConfig(dir);
  const { store } = await openCheckpointWeights(dir);
  validateWeights(config, store, join(dir, "config.json"));
  return { label: entry, dir, config, weights: store };
}
