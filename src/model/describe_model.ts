import { expectedTensors, LINEAR_MODULES, type LlamaConfig } from "./llama_config.ts";

/** Columns of the per-layer parameter table, in forward order. */
export const LAYER_MODULES = [
  "input_layernorm",
  ...LINEAR_MODULES.slice(0, 4),
  "post_attention_layernorm",
  ...LINEAR_MODULES.slice(4),
] as const;

/** Parameter counts per module (a module's weight plus its bias, if any). */
export interface ParameterCounts {
  /** One record per decoder layer: module → parameters. */
  layers: Record<string, number>[];
  embedTokens: number;
  finalNorm: number;
  /** 0 when tied to the embedding. */
  lmHead: number;
  total: number;
}

/** Counts parameters per layer and module from the shapes the config implies (tied lm_head counted once). */
export function parameterCounts(config: LlamaConfig): ParameterCounts {
  const layers: Record<string, number>[] = Array.from(
    { length: config.numLayers },
    () => Object.fromEntries(LAYER_MODULES.map((m) => [m, 0])),
  );
  const counts = { embedTokens: 0, finalNorm: 0, lmHead: 0, total: 0 };
  for (const { name, shape } of expectedTensors(config)) {
    const n = shape.reduce((a, b) => a * b, 1);
    counts.total += n;
    const m = /^model\.layers\.(\d+)\.(?:self_attn|mlp)?\.?([a-z_]+)\.(?:weight|bias)$/.exec(name);
    if (m) layers[Number(m[1])][m[2]] += n;
    else if (name === "model.embed_tokens.weight") counts.embedTokens = n;
    else if (name === "model.norm.weight") counts.finalNorm = n;
    else if (name === "lm_head.weight") counts.lmHead = n;
  }
  return { layers, ...counts };
}

/** The architecture as aligned `key  value` lines (same text for any checkpoint of the same architecture). */
export function describeArchitecture(config: LlamaConfig): string {
  const c = config;
  const group = c.numHeads / c.numKvHeads;
  const rope = c.ropeScaling
    ? `llama3 (factor ${c.ropeScaling.factor}, low ${c.ropeScaling.lowFreqFactor}, high ${c.ropeScaling.highFreqFactor}, ` +
      `original max positions ${c.ropeScaling.originalMaxPositionEmbeddings})`
    : "none";
  const rows: [string, string][] = [
    ["family", c.family],
    ["hidden size", String(c.hiddenSize)],
    ["intermediate size", String(c.intermediateSize)],
    ["layers", String(c.numLayers)],
    ["attention heads", String(c.numHeads)],
    [
      "key/value heads",
      group > 1 ? `${c.numKvHeads} (GQA, ${group} query heads each)` : String(c.numKvHeads),
    ],
    ["head dim", String(c.headDim)],
    ["vocabulary", String(c.vocabSize)],
    ["max positions", String(c.maxPositionEmbeddings)],
    ["rms norm eps", String(c.rmsNormEps)],
    ["rope theta", String(c.ropeTheta)],
    ["rope scaling", rope],
    ["tied embeddings", c.tieWordEmbeddings ? "yes" : "no"],
    ["q/k/v bias", c.qkvBias ? "yes" : "no"],
    ["bos / eos ids", `${c.bosTokenId ?? "none"} / ${c.eosTokenId ?? "none"}`],
    ["dtype", c.torchDtype],
  ];
  return rows.map(([k, v]) => `  ${k.padEnd(18)} ${v}`).join("\n");
}

/** The parameter table: one row per layer with a column per module, then embedding, norm, lm_head, total. */
export function describeParameters(config: LlamaConfig): string {
  const p = parameterCounts(config);
  const fmt = (n: number) => n.toLocaleString("en-US");
  const header = ["layer", ...LAYER_MODULES, "total"];
  const rows = p.layers.map((
    l,
    i,
  ) => [String(i), ...LAYER_MODULES.map((m) => fmt(l[m])), fmt(sum(Object.values(l)))]);
  const allLayers = LAYER_MODULES.map((m) => sum(p.layers.map((l) => l[m])));
  rows.push(["all", ...allLayers.map(fmt), fmt(sum(allLayers))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    "  " + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  const extras: [string, string][] = [
    ["embed_tokens", fmt(p.embedTokens)],
    ["final norm", fmt(p.finalNorm)],
    ["lm_head", config.tieWordEmbeddings ? "tied to embed_tokens" : fmt(p.lmHead)],
    ["total", fmt(p.total)],
  ];
  return [line(header), ...rows.map(line), "", ...extras.map(([k, v]) => `  ${k.padEnd(13)} ${v}`)].join(
    "\n",
  );
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
