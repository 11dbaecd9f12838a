/**
 * Checkpoint tensors as graph initializers. `file` sources become external data pointing into the
 * safetensors file (the bytes never enter the JS heap; onnxruntime maps them); `memory` sources become raw
 * float32 initializers. Storage dtypes other than the compute dtype are cast in-graph, which onnxruntime
 * constant-folds once at session creation.
 */
import { createHash } from "node:crypto";
import { cast, type DType, type Graph, type Value } from "../../onnx/mod.ts";
import type { StorageDType, WeightStore, WeightTensor } from "../weights.ts";

/**
 * Floating-point dtypes a Llama graph computes in: float32 (CPU default), float16 and bfloat16 (GPU; bfloat16
 * only on CUDA, the one provider with bfloat16 matrix products), float64 (tests).
 */
export type ComputeDType = "float32" | "float16" | "bfloat16" | "float64";

const STORAGE_TO_DTYPE: Record<StorageDType, DType> = { F32: "float32", F16: "float16", BF16: "bfloat16" };

/** The dtype a tensor has when it enters the graph. */
function entryDType(t: WeightTensor): DType {
  return t.source.kind === "memory" ? "float32" : STORAGE_TO_DTYPE[t.dtype];
}

const declared = new WeakMap<Graph, Map<string, Value>>();

/**
 * Declares checkpoint tensor `name` as an initializer and returns it in `dtype`. Each tensor is declared and
 * cast once per graph (a tied embedding serves as both the embedding table and the lm_head), in the top-level
 * graph also when a subgraph (a Loop body) asks: onnxruntime then holds one copy that every iteration reads.
 */
export function weightValue(graph: Graph, store: WeightStore, name: string, dtype: ComputeDType): Value {
  let g = graph;
  while (g.parent) g = g.parent;
  let memo = declared.get(g);
  if (!memo) declared.set(g, memo = new Map());
  const hit = memo.get(`${name}:${dtype}`);
  if (hit) return hit;
  const t = store.get(name);
  const stored = entryDType(t);
  let raw = memo.get(name);
  if (!raw) {
    raw = t.source.kind === "memory"
      ? g.initializer(name, { dtype: "float32", shape: t.shape, data: t.source.data })
      : g.initializer(name, {
        dtype: stored,
        shape: t.shape,
        external: { path: t.source.path, offset: t.source.offset, byteLength: t.source.byteLength },
      });
    memo.set(name, raw);
  }
  // bfloat16 ↔ float16 goes through float32, which every provider's Cast supports.
  const wide = stored !== dtype && stored !== "float32" && dtype !== "float32" ? cast(raw, "float32") : raw;
  const v = wide.dtype === dtype ? wide : cast(wide, dtype);
  memo.set(`${name}:${dtype}`, v);
  return v;
}

/**
 * What a graph built from `names` depends on, for the graph cache key: for file sources the file, byte range
 * and storage dtype (the graph holds only a reference to them), for memory sources a content hash (the graph
 * embeds the data).
 */
export function weightKey(store: WeightStore, names: readonly string[]): unknown[] {
  const out: unknown[] = [];
  for (const name of names) {
    const t = store.get(name);
    if (t.source.kind === "file") {
      out.push([name, t.dtype, t.shape, t.source.path, t.source.offset, t.source.byteLength]);
    } else {
      const d = t.source.data;
      const digest = createHash("sha256").update(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)).digest(
        "hex",
      );
      out.push([name, "memory", t.shape, digest]);
    }
  }
  return out;
}

/** True when every tensor of `names` lives in a file, so the serialized graph is small and worth caching. */
export function allFileBacked(store: WeightStore, names: readonly string[]): boolean {
  return names.every((n) => store.get(n).source.kind === "file");
}
