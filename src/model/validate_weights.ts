import { ActpatError } from "../util/errors.ts";
import type { LlamaConfig } from "./llama_config.ts";
import { storedTensors } from "./weight_layout.ts";
import type { WeightStore, WeightTensor } from "./weights.ts";

/** Tensors some exporters add that carry no weights of ours (RoPE caches; an lm_head copy of tied embeddings). */
function ignorable(name: string, config: LlamaConfig): boolean {
  return name.endsWith(".rotary_emb.inv_freq") || (config.tieWordEmbeddings && name === "lm_head.weight");
}

/**
 * Checks that `store` holds exactly the tensors `config` implies, under the checkpoint's own names and shapes
 * (a fused Qwen `c_attn` as one tensor: see `weight_layout.ts`); `configPath` is named in errors.
 */
export function validateWeights(config: LlamaConfig, store: WeightStore, configPath: string): void {
  const expected = storedTensors(config);
  const fileOf = (t: WeightTensor) => (t.source.kind === "file" ? t.source.path : "converted in memory");
  for (const { name, shape } of expected) {
    if (!store.has(name)) {
      throw new ActpatError(
        "load model",
        `tensor ${name} is missing, but ${configPath} implies it with shape ${fmt(shape)}`,
      );
    }
    const t = store.get(name);
    if (t.shape.length !== shape.length || t.shape.some((v, i) => v !== shape[i])) {
      throw new ActpatError(
        "load model",
        `tensor ${name} has shape ${fmt(t.shape)} but ${configPath} implies ${fmt(shape)} (${fileOf(t)})`,
      );
    }
  }
  const known = new Set(expected.map((e) => e.name));
  for (const name of store.names()) {
    if (!known.has(name) && !ignorable(name, config)) {
      throw new ActpatError(
        "load model",
        `tensor ${name} (${fileOf(store.get(name))}) is not part of the architecture ${configPath} describes`,
      );
    }
  }
}

function fmt(shape: number[]): string {
  return `[${shape.join(", ")}]`;
}
