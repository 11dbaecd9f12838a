import { ActpatError } from "../util/errors.ts";
import { decodeToFloat32 } from "./_dtype.ts";
import type { WeightStore, WeightTensor } from "./weights.ts";

/**
 * A {@link WeightStore} over tensors whose bytes live in files (read on demand) or in memory. `label` names
 * the checkpoint in errors.
 */
export function createWeightStore(tensors: WeightTensor[], label: string): WeightStore {
  const byName = new Map<string, WeightTensor>();
  for (const t of tensors) {
    if (byName.has(t.name)) throw new ActpatError("load model", `tensor ${t.name} appears twice in ${label}`);
    byName.set(t.name, t);
  }
  const get = (name: string) => {
    const t = byName.get(name);
    if (!t) throw new ActpatError("find tensor", `${name} is not in ${label}`);
    return t;
  };
  return {
    names: () => [...byName.keys()],
    get,
    has: (name) => byName.has(name),
    async readFloat32(name) {
      const t = get(name);
      if (t.source.kind === "memory") return t.source.data.slice();
      const bytes = await readFileRange(t.source.path, t.source.offset, t.source.byteLength);
      return decodeToFloat32(bytes, t.dtype);
    },
  };
}

/** Reads `length` bytes at `offset` of a file, and only those. */
export async function readFileRange(path: string, offset: number, length: number): Promise<Uint8Array> {
  using file = await Deno.open(path, { read: true });
  await file.seek(offset, Deno.SeekMode.Start);
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = await file.read(out.subarray(done));
    if (n === null) {
      throw new ActpatError(
        `read ${path}`,
        `file ends at byte ${offset + done}, expected ${length} bytes at ${offset}`,
      );
    }
    done += n;
  }
  return out;
}
