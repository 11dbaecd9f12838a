/** Families whose checkpoints map onto one Llama decoder definition. */
export type ModelFamily = "llama" | "mistral" | "qwen2";

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
  /** Qwen2: q, k and v projections carry a bias. */
  qkvBias: boolean;
  bosTokenId: number | null;
  eosTokenId: number | null;
  /** Storage dtype of the checkpoint's weights. */
  torchDtype: "float32" | "float16" | "bfloat16";
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
