import { ActpatError } from "../util/errors.ts";
import { LINEAR_MODULES, linearShape, linearWeightName, type LlamaConfig } from "./llama_config.ts";
import type { WeightStore, WeightTensor } from "./weights.ts";

/** A tensor the architecture requires, with its Hugging Face name and shape. */
export interface ExpectedTensor {
  name: string;
  shape: number[];
}

/**
 * Every tensor a checkpoint of this architecture holds, in transformers' order: embedding; per layer the input
 * norm, q/k/v/o (+ q/k/v bias for Qwen2), post-attention norm, gate/up/down; final norm; lm_head unless tied.
 */
export function expectedTensors(config: LlamaConfig): ExpectedTensor[] {
  const d = config.hiddenSize;
  const out: ExpectedTensor[] = [{ name: "model.embed_tokens.weight", shape: [config.vocabSize, d] }];
  for (let l = 0; l < config.numLayers; l++) {
    const p = `model.layers.${l}`;
    out.push({ name: `${p}.input_layernorm.weight`, shape: [d] });
    for (const m of LINEAR_MODULES) {
      out.push({ name: linearWeightName(l, m), shape: linearShape(config, m) });
      if (config.qkvBias && (m === "q_proj" || m === "k_proj" || m === "v_proj")) {
        out.push({ name: `${p}.self_attn.${m}.bias`, shape: [linearShape(config, m)[0]] });
      }
      if (m === "o_proj") out.push({ name: `${p}.post_attention_layernorm.weight`, shape: [d] });
    }
  }
  out.push({ name: "model.norm.weight", shape: [d] });
  if (!config.tieWordEmbeddings) out.push({ name: "lm_head.weight", shape: [config.vocabSize, d] });
  return out;
}

/** Tensors some exporters add that carry no weights of ours (RoPE caches; an lm_head copy of tied embeddings). */
function ignorable(name: string, config: LlamaConfig): boolean {
  return name.endsWith(".rotary_emb.inv_freq") || (config.tieWordEmbeddings && name === "lm_head.weight");
}

/**
 * Checks that `store` holds exactly the tensors `config` implies, with the implied shapes; `configPath` is
 * named in errors.
 */
export function validateWeights(config: LlamaConfig, store: WeightStore, configPath: string): void {
  const expected = expectedTensors(config);
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
