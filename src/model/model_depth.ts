import { join } from "node:path";
import { cacheDir, embeddedDir, mirrorDir } from "../util/locations.ts";
import { readLlama2cHeader } from "./llama2c.ts";
import { readConfig } from "./parse_config.ts";

/**
 * The number of decoder layers of a model reference, read from its `config.json` (or a llama2.c header)
 * where the reference already lies on disk (a local path, the repository's `models/`, the mirror, the
 * cache); null when it does not or cannot be read. Downloads nothing and opens no weights: for describing
 * a plan before anything runs.
 */
export async function modelDepthOnDisk(ref: string): Promise<number | null> {
  const mirror = mirrorDir();
  const places = [
    ref,
    ...(ref.split("/").includes("..") ? [] : [
      join(embeddedDir(), "models", ref),
      ...(mirror ? [join(mirror, "models", ref)] : []),
      join(cacheDir(), "hub", ref),
    ]),
  ];
  for (const path of places) {
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(path);
    } catch {
      continue;
    }
    try {
      if (info.isFile) return path.endsWith(".bin") ? (await readLlama2cHeader(path)).nLayers : null;
      return (await readConfig(path)).numLayers;
    } catch {
      return null;
    }
  }
  return null;
}
