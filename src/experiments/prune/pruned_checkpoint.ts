/**
 * Writes a pruned model as a sharded Hugging Face checkpoint, one shard per decoder layer (its norms and
 * linears) plus one for the embeddings, final norm and lm_head, with `model.safetensors.index.json`, the
 * source's `config.json` and tokenizer files: `transformers` loads it as is. Each layer can be written as
 * soon as it is pruned ({@link PrunedCheckpointWriter.writeLayer}); the store is then pointed at the shard,
 * so the pruned matrices leave memory and every graph's weights live in one folder. Tensors keep the
 * source's storage dtype; pruned values are source values or zero, so they convert back exactly. Tensors are
 * written under the source checkpoint's own names and layout (Qwen v1: q, k, v back into one `c_attn`; see
 * `model/weight_layout.ts`).
 */
import { basename, join } from "node:path";
import { layerTensorNames } from "../../model/llama/mod.ts";
import type { LlamaConfig } from "../../model/llama_config.ts";
import type { OverlayWeightStore } from "../../model/overlay_weights.ts";
import { readSafetensorsHeader, SHARD_INDEX } from "../../model/safetensors.ts";
import { type TensorChunk, writeSafetensors } from "../../model/safetensors_writer.ts";
import { readFileRange } from "../../model/weight_store.ts";
import { splitStored, storedDType, storedTensorsOf } from "../../model/weight_layout.ts";
import { STORAGE_BYTES, type StorageDType, type WeightTensor } from "../../model/weights.ts";
import { writeFileAtomic } from "../../util/atomic_write.ts";
import { ActpatError } from "../../util/errors.ts";

/** Files copied from the source checkpoint next to the weights when present. */
const COPIED_FILES = [
  "config.json",
  "generation_config.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "tokenizer.model",
  // Qwen (v1): its tokenizer ranks and the code transformers runs for it (trust_remote_code).
  "qwen.tiktoken",
  "configuration_qwen.py",
  "modeling_qwen.py",
  "tokenization_qwen.py",
  "qwen_generation_utils.py",
  "cpp_kernels.py",
  "cache_autogptq_cuda_256.cpp",
  "cache_autogptq_cuda_kernel_256.cu",
];

/** Bytes per chunk when copying an untouched tensor from its file. */
const COPY_CHUNK = 1 << 24;

/** File name of shard `i` (1-based) of `total`, transformers' pattern. */
export function shardName(i: number, total: number): string {
  const pad = (n: number) => String(n).padStart(5, "0");
  return `model-${pad(i)}-of-${pad(total)}.safetensors`;
}

/** Writes one layer at a time, then the rest and the metadata files. */
export class PrunedCheckpointWriter {
  /** Stored tensor name → shard file. */
  readonly #weightMap = new Map<string, string>();
  /** Internal names of the tensors written. */
  readonly #written = new Set<string>();
  #totalSize = 0;

  constructor(
    readonly dir: string,
    readonly config: LlamaConfig,
    readonly options: { quiet?: boolean } = {},
  ) {}

  /** Number of shards: one per layer and one for everything else. */
  get shards(): number {
    return this.config.numLayers + 1;
  }

  /** Writes decoder layer `layer`'s tensors to its shard and points `store` at them. */
  async writeLayer(layer: number, store: OverlayWeightStore): Promise<void> {
    await this.#writeShard(layer + 1, layerTensorNames(this.config, layer), store);
  }

  /**
   * Writes the tensors that belong to no layer (and any layer not written yet), the shard index and, with
   * `sourceDir`, the source checkpoint's config and tokenizer files.
   */
  async finish(store: OverlayWeightStore, options: { sourceDir?: string } = {}): Promise<void> {
    for (let l = 0; l < this.config.numLayers; l++) {
      if (!this.#written.has(layerTensorNames(this.config, l)[0])) await this.writeLayer(l, store);
    }
    const rest = store.names().filter((n) => !this.#written.has(n));
    await this.#writeShard(this.shards, rest, store);
    const index = {
      metadata: { total_size: this.#totalSize },
      weight_map: Object.fromEntries([...this.#weightMap].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)),
    };
    await writeFileAtomic(join(this.dir, SHARD_INDEX), JSON.stringify(index, null, 2) + "\n");
    if (options.sourceDir) await copyCheckpointFiles(options.sourceDir, this.dir);
  }

  async #writeShard(i: number, names: string[], store: OverlayWeightStore): Promise<void> {
    const file = shardName(i, this.shards);
    const path = join(this.dir, file);
    const stored = storedTensorsOf(this.config, names, store);
    const tensors = stored.map(({ name, shape, parts }) => {
      const dtype = storedDType({ name, shape, parts }, (n) => store.base.get(n).dtype);
      return {
        name,
        shape,
        dtype,
        data: concatChunks(parts.map((p) => tensorChunks(store.get(p.name), dtype))),
      };
    });
    await writeSafetensors(path, tensors, { quiet: this.options.quiet ?? true });
    const header = await readSafetensorsHeader(path);
    const byName = new Map(stored.map((s) => [s.name, s]));
    for (const t of header.tensors) {
      if (t.source.kind !== "file") continue;
      for (const part of splitStored(byName.get(t.name)!, t)) {
        if (part.source.kind === "file") store.setFile(part.name, part.source, t.dtype);
        this.#written.add(part.name);
      }
      this.#weightMap.set(t.name, file);
      this.#totalSize += t.source.byteLength;
    }
  }
}

/** The values of `t` as chunks for the writer: memory data as is, file bytes copied raw in `dtype`. */
async function* tensorChunks(t: WeightTensor, dtype: StorageDType): AsyncIterable<TensorChunk> {
  if (t.source.kind === "memory") {
    yield t.source.data;
    return;
  }
  if (t.dtype !== dtype) {
    throw new ActpatError(
      "write pruned checkpoint",
      `${t.name} is ${t.dtype} in its file, expected ${dtype}`,
    );
  }
  const { path, offset, byteLength } = t.source;
  const step = COPY_CHUNK - (COPY_CHUNK % STORAGE_BYTES[dtype]);
  for (let done = 0; done < byteLength; done += step) {
    const bytes = await readFileRange(path, offset + done, Math.min(step, byteLength - done));
    yield dtype === "F32"
      ? new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)
      : new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  }
}

async function* concatChunks(parts: AsyncIterable<TensorChunk>[]): AsyncIterable<TensorChunk> {
  for (const p of parts) yield* p;
}

/** Copies config and tokenizer files of a checkpoint folder that exist. */
export async function copyCheckpointFiles(sourceDir: string, outDir: string): Promise<string[]> {
  const copied: string[] = [];
  for (const name of COPIED_FILES) {
    const from = join(sourceDir, name);
    try {
      await writeFileAtomic(join(outDir, name), await Deno.readFile(from));
      copied.push(basename(from));
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  if (!copied.includes("config.json")) {
    throw new ActpatError("write pruned checkpoint", `${sourceDir} has no config.json to copy`);
  }
  return copied;
}

/**
 * Refuses to write a checkpoint over its own source or into a folder holding something other than an
 * earlier actpat pruning output (recognised by its `pruning.json`).
 */
export async function checkCheckpointDir(dir: string, sourceDir: string | null): Promise<void> {
  const real = (p: string) => Deno.realPath(p).catch(() => null);
  const [d, s] = [await real(dir), sourceDir ? await real(sourceDir) : null];
  if (d !== null && s !== null && d === s) {
    throw new ActpatError("save pruned model", `--save ${dir} is the source checkpoint itself`);
  }
  if (d === null) return;
  let entries = 0;
  for await (const _ of Deno.readDir(dir)) entries++;
  const ours = await Deno.stat(join(dir, "pruning.json")).then(() => true, () => false);
  if (entries > 0 && !ours) {
    throw new ActpatError(
      "save pruned model",
      `${dir} exists, is not empty and holds no earlier pruning.json`,
    );
  }
}
