import { ActpatError } from "../util/errors.ts";
import { decodeToFloat32 } from "./_dtype.ts";
import { readFileRange } from "./weight_store.ts";
import type { StorageDType, WeightStore, WeightTensor } from "./weights.ts";

/**
 * A {@link WeightStore} that serves some tensors from replacements (pruned matrices) and every other tensor
 * from a base store, untouched. Only the replaced tensors cost memory; the base's file-backed tensors stay
 * on disk.
 */
export interface OverlayWeightStore extends WeightStore {
  readonly base: WeightStore;
  /** Replaces `name` by float32 values held in memory (same shape as the base tensor). */
  setMemory(name: string, data: Float32Array): void;
  /**
   * Replaces `name` by a byte range of a file in storage dtype `dtype` (e.g. the shard a pruned layer was
   * written to), which releases a memory replacement of it.
   */
  setFile(
    name: string,
    source: { path: string; offset: number; byteLength: number },
    dtype: StorageDType,
  ): void;
  /** Names of the replaced tensors, in order of replacement. */
  replaced(): string[];
}

const BYTES: Record<StorageDType, number> = { F32: 4, F16: 2, BF16: 2 };

/**
 * Wraps `base`; tensors are replaced with {@link OverlayWeightStore.setMemory} or
 * {@link OverlayWeightStore.setFile}. The base store is never modified.
 * @example const store = overlayWeightStore(model.weights); store.setMemory(name, pruned);
 */
export function overlayWeightStore(base: WeightStore): OverlayWeightStore {
  const replacements = new Map<string, WeightTensor>();
  const baseTensor = (name: string, action: string): WeightTensor => {
    if (!base.has(name)) throw new ActpatError(action, `${name} is not a tensor of the base checkpoint`);
    return base.get(name);
  };
  const elements = (t: WeightTensor) => t.shape.reduce((a, b) => a * b, 1);
  const get = (name: string) => replacements.get(name) ?? base.get(name);
  return {
    base,
    names: () => base.names(),
    has: (name) => base.has(name),
    get,
    async readFloat32(name) {
      const t = replacements.get(name);
      if (!t) return await base.readFloat32(name);
      if (t.source.kind === "memory") return t.source.data.slice();
      return decodeToFloat32(
        await readFileRange(t.source.path, t.source.offset, t.source.byteLength),
        t.dtype,
      );
    },
    setMemory(name, data) {
      const t = baseTensor(name, "replace tensor");
      if (data.length !== elements(t)) {
        throw new ActpatError(
          "replace tensor",
          `${name} has shape [${t.shape.join(", ")}] (${elements(t)} values), got ${data.length} values`,
        );
      }
      replacements.delete(name);
      replacements.set(name, { name, dtype: "F32", shape: t.shape, source: { kind: "memory", data } });
    },
    setFile(name, source, dtype) {
      const t = baseTensor(name, "replace tensor");
      if (source.byteLength !== elements(t) * BYTES[dtype]) {
        throw new ActpatError(
          "replace tensor",
          `${name}: ${source.byteLength} bytes of ${dtype} in ${source.path} for shape [${
            t.shape.join(", ")
          }]`,
        );
      }
      replacements.delete(name);
      replacements.set(name, { name, dtype, shape: t.shape, source: { kind: "file", ...source } });
    },
    replaced: () => [...replacements.keys()],
  };
}
