import type { WeightLayout } from "./weight_layout.ts";

/** Families whose checkpoints map onto one Llama decoder definition. */
export type ModelFamily = "llama" | "mistral" | "qwen2" | "qwen";

/** Llama 3's frequency-dependent RoPE scaling (`rope_scaling.rope_type = "llama3"`). */
export interface Llama3RopeScaling {
  type: "llama3";
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPositionEmbeddings: number;
}

/**
 * The one validated architecture description every layer above `src/model` uses. Produced from a Hugging
 * Face `config.json` (see `parse_config.ts`) or a llama2.c header; nothing else branches on `model_type`.
 */
export interface LlamaConfig {
  family: ModelFamily;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  vocabSize: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling: Llama3RopeScaling | null;
  maxPositionEmbeddings: number;
  tieWordEmbeddings: boolean;
  /** Qwen2 and Qwen (v1): q, k and v projections carry a bias. */
  qkvBias: boolean;
  bosTokenId: number | null;
  eosTokenId: number | null;
  /** Storage dtype of the checkpoint's weights. */
  torchDtype: "float32" | "float16" | "bfloat16";
  /**
   * How the checkpoint's own tensor names map onto the internal (transformers Llama) names; absent when they
   * are the internal names. Only loading and writing checkpoints read it (`weight_layout.ts`).
   */
  weightLayout?: WeightLayout;
}

/** The seven linear weights of a decoder layer, in the paper's order. */
export const LINEAR_MODULES = [
  "q_proj",
  "k_proj",
  "v_proj",
  "o_proj",
  "gate_proj",
  "up_proj",
  "down_proj",
] as const;
export type LinearModule = typeof LINEAR_MODULES[number];

/** Hugging Face tensor name of a decoder layer's linear weight. */
export function linearWeightName(layer: number, module: LinearModule): string {
  const block = module.endsWith("_proj") && ["gate_proj", "up_proj", "down_proj"].includes(module)
    ? "mlp"
    : "self_attn";
  return `model.layers.${layer}.${block}.${module}.weight`;
}

/** [out, in] shape of a linear weight (Hugging Face layout). */
export function linearShape(config: LlamaConfig, module: LinearModule): [number, number] {
  const d = config.hiddenSize;
  const q = config.numHeads * config.headDim;
  const kv = config.numKvHeads * config.headDim;
  const ff = config.intermediateSize;
  switch (module) {
    case "q_proj":
      return [q, d];
    case "k_proj":
    case "v_proj":
      return [kv, d];
    case "o_proj":
      return [d, q];
    case "gate_proj":
    case "up_proj":
      return [ff, d];
    case "down_proj":
      return [d, ff];
  }
}

/** A tensor the architecture requires, with its internal (transformers Llama) name and shape. */
export interface ExpectedTensor {
  name: string;
  shape: number[];
}

/**
 * Every tensor of this architecture in internal names, in transformers' order: embedding; per layer the input
 * norm, q/k/v/o (+ q/k/v bias for Qwen2 and Qwen), post-attention norm, gate/up/down; final norm; lm_head unless
 * tied. A checkpoint stores them under these names unless the config has a `weightLayout`.
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
