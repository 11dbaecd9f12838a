/**
 * Runs Llama graphs: builds (or fetches from the graph cache) the graph a call needs, opens one onnxruntime
 * session per graph through `src/onnx/session.ts`, pads batches on the right and unpads the results.
 */
import type { InferenceSession } from "onnxruntime-node";
import {
  cachedModel,
  createSession,
  DeviceTensor,
  type ExecutionProvider,
  type Graph,
  type HostTensor,
  hostTensor,
  runSession,
  runSessionValues,
  serializeGraph,
  type SessionValue,
  toHost,
} from "../../onnx/mod.ts";
import { ActpatError } from "../../util/errors.ts";
import type { LlamaConfig } from "../llama_config.ts";
import type { WeightStore } from "../weights.ts";
import { allFileBacked, type ComputeDType } from "./_weights.ts";
import { buildCausalLmGraph, causalLmGraphKey, type CausalLmOptions } from "./causal_lm_graph.ts";
import { modelTensorNames } from "./_stack.ts";
import {
  ATTENTION_KEY_MASS_OUTPUT,
  buildDecoderBlockGraph,
  buildEmbeddingGraph,
  decoderBlockGraphKey,
  type DecoderBlockOptions,
  embeddingGraphKey,
  SUMSQ_OUTPUT,
} from "./decoder_block_graph.ts";
import { accumulateDType, layerTensorNames, type LinearInput } from "./decoder_layer.ts";
import {
  activationGradientGraphKey,
  type ActivationGradientOptions,
  buildActivationGradientGraph,
  densityInput,
  densityOutput,
  similarityOutput,
} from "./activation_gradient_graph.ts";
import { LINEAR_MODULES, linearShape, linearWeightName } from "../llama_config.ts";
import { buildLmHeadGraph, lmHeadGraphKey, lmHeadTensorNames } from "./lm_head_graph.ts";

/** A loaded checkpoint as far as the graphs care (what `loadModel` returns has at least this). */
export interface LlamaModel {
  config: LlamaConfig;
  weights: WeightStore;
}

/** How graphs are run. */
export interface LlamaRunOptions {
  /** Execution provider (default cpu). */
  ep?: ExecutionProvider;
  /** Intra-op threads (default: onnxruntime's choice). */
  threads?: number;
  /** Compute dtype (default float32). */
  dtype?: ComputeDType;
  /** CUDA: TF32 for float32 matrix products (PyTorch's allow_tf32; default false); see session.ts. */
  tf32?: boolean;
  /** Graph cache root (default `<ACTPAT_CACHE>/graphs`' root); false builds in memory every time. */
  cache?: string | false;
  /**
   * Density batches run in chunks inside one Loop graph with batched products (default: on CUDA only, where
   * onnxruntime-node cannot keep outputs in device memory between runs; see {@link LlamaRunner.densitySums}).
   */
  densityLoop?: boolean;
}

/**
 * A linear weight above this many bytes in the compute dtype makes the activation graphs run without
 * onnxruntime's CPU arena (see {@link activationArena}).
 */
const ARENA_WEIGHT_LIMIT = 64 * 2 ** 20;

/**
 * The CPU arena for an activation-gradient session: off for large models, whose intermediates are
 * weight-sized ([out, in] per matrix) and an arena would keep the largest working set resident between runs
 * (1-layer Llama-2-7B shape: peak 4.3 → 3.6 GiB; bench/RESULTS.md); on for small ones, where without it
 * every attention buffer above glibc's 32 MiB mmap ceiling is mapped and zero-faulted anew on each run
 * (stories260K, 8 sequences of 687 tokens: 15 s per batch without, 0.7 s with).
 */
export function activationArena(config: LlamaConfig, dtype: ComputeDType): false | undefined {
  const bytes = dtype === "float64" ? 8 : 4;
  const largest = Math.max(...LINEAR_MODULES.map((m) => linearShape(config, m)).map(([r, c]) => r * c));
  return largest * bytes > ARENA_WEIGHT_LIMIT ? false : undefined;
}

/**
 * Why `ep` cannot compute in `dtype`, or null: bfloat16 needs CUDA (onnxruntime's CPU and WebGPU providers
 * register no bfloat16 Gemm or MatMul kernel; docs/OperatorKernels.md).
 */
export function unsupportedCompute(ep: string, dtype: ComputeDType): string | null {
  return dtype === "bfloat16" && ep !== "cuda"
    ? `onnxruntime's ${ep} provider has no bfloat16 matrix product; use --ep cuda, or --dtype float16 or float32`
    : null;
}

/** Protobuf messages cannot exceed 2 GiB; graphs with more inline weight bytes must use files. */
const MAX_INLINE_BYTES = 2 ** 31 - 2 ** 26;

/**
 * Opens a session on a graph: from the on-disk graph cache when its weights are all file-backed (the graph
 * is then small: weights stay external), else serialized in memory (inline weights, small models).
 */
export async function openGraphSession(
  spec: {
    key: unknown;
    build: () => Graph;
    fileBacked: boolean;
    cpuArena?: boolean;
    deviceOutputs?: readonly string[];
  },
  opts: LlamaRunOptions = {},
): Promise<InferenceSession> {
  // onnxruntime's extended fusions rewrite x·σ(x) into QuickGelu, which has no float64 kernel on CPU.
  const optimization = opts.dtype === "float64" ? "basic" : "all";
  const sessionOpts = {
    ep: opts.ep,
    threads: opts.threads,
    tf32: opts.tf32,
    optimization,
    cpuArena: spec.cpuArena,
    deviceOutputs: spec.deviceOutputs,
  } as const;
  if (spec.fileBacked && opts.cache !== false) {
    const { path } = await cachedModel(spec.key, spec.build, opts.cache ? { root: opts.cache } : {});
    return await createSession(path, sessionOpts);
  }
  const graph = spec.build();
  const inline = graph.initializers.reduce((s, i) => s + (i.data?.byteLength ?? 0), 0);
  if (inline > MAX_INLINE_BYTES) {
    throw new ActpatError(
      `build graph ${graph.name}`,
      `${inline} bytes of in-memory weights exceed the 2 GiB ONNX limit; write the weights as safetensors first`,
    );
  }
  return await createSession(serializeGraph(graph), sessionOpts);
}

/** Running density sums of {@link LlamaRunner.accumulateDensity} per linear weight name, host or device. */
export type DensitySums = Map<string, SessionValue>;

/** What {@link LlamaRunner.activationGradients} returns; maps are keyed by linear weight name. */
export interface ActivationGradients {
  /** y = max over the vocabulary of the last real token's logits, per sample. */
  y: Float64Array;
  /** Σ over samples of |W ⊙ ∂y/∂W|, [out × in] row-major. */
  density?: Map<string, Float32Array | Float64Array>;
  /** Per pair (2i, 2i+1) of samples: Σ|v_a v_b|, Σv_a², Σv_b² over the matrix. */
  similarity?: Map<string, { dot: number; aa: number; bb: number }[]>;
}

/**
 * Splits batches (in order) into chunks that share one padded length: a chunk ends before a batch whose longest
 * sequence is more than 1.25 × (+ 16 tokens) the chunk's first, or whose size exceeds the chunk's first, so
 * padding wastes little when batches come sorted by length.
 */
export function densityChunks<T extends readonly (readonly number[])[]>(batches: readonly T[]): T[][] {
  const chunks: T[][] = [];
  const longest = (b: T) => Math.max(...b.map((s) => s.length));
  for (const b of batches) {
    const chunk = chunks.at(-1);
    if (chunk && b.length <= chunk[0].length && longest(b) <= 1.25 * longest(chunk[0]) + 16) chunk.push(b);
    else chunks.push([b]);
  }
  return chunks;
}

/** Right-pads token sequences into int64 [B, T] ids and mask (pad id 0, mask 0). */
export function padBatch(sequences: readonly (readonly number[])[]): {
  ids: HostTensor;
  mask: HostTensor;
  length: number;
} {
  if (sequences.length === 0) throw new ActpatError("run model", "the batch is empty");
  const T = Math.max(...sequences.map((s) => s.length));
  if (T === 0) throw new ActpatError("run model", "every sequence in the batch is empty");
  const B = sequences.length;
  const ids = new BigInt64Array(B * T);
  const mask = new BigInt64Array(B * T);
  sequences.forEach((s, b) => {
    if (s.length === 0) throw new ActpatError("run model", `sequence ${b} of the batch is empty`);
    s.forEach((id, t) => {
      ids[b * T + t] = BigInt(id);
      mask[b * T + t] = 1n;
    });
  });
  return { ids: hostTensor("int64", [B, T], ids), mask: hostTensor("int64", [B, T], mask), length: T };
}

function checkIds(config: LlamaConfig, sequences: readonly (readonly number[])[], what: string): void {
  for (const s of sequences) {
    for (const id of s) {
      if (!Number.isInteger(id) || id < 0 || id >= config.vocabSize) {
        throw new ActpatError(
          "run model",
          `${what} ${id} is outside the vocabulary [0, ${config.vocabSize})`,
        );
      }
    }
  }
}

/** Checks token and target ids, and that every sequence has one target per token. */
function checkTargets(
  config: LlamaConfig,
  sequences: readonly (readonly number[])[],
  targets: readonly (readonly number[])[],
): void {
  checkIds(config, sequences, "token id");
  checkIds(config, targets, "target id");
  targets.forEach((t, i) => {
    if (t.length !== sequences[i]?.length) {
      throw new ActpatError(
        "score tokens",
        `sequence ${i} has ${sequences[i]?.length} tokens but ${t.length} targets`,
      );
    }
  });
}

/**
 * Forward passes of one model. Sessions are opened on first use and kept until {@link LlamaRunner.release}.
 *
 * @example
 * const runner = new LlamaRunner(await loadModel("stories260K"), { ep: "cpu" });
 * const [next] = await runner.lastLogits([[1, 403, 407, 261, 378]]);
 */
export class LlamaRunner {
  private readonly sessions = new Map<string, Promise<InferenceSession>>();
  /** Runs in flight per activation-gradient session name (an idle session may be released). */
  private readonly activationRuns = new Map<string, number>();

  constructor(readonly model: LlamaModel, readonly opts: LlamaRunOptions = {}) {
    const ep = opts.ep ?? "cpu";
    const why = unsupportedCompute(ep, opts.dtype ?? "float32");
    if (why) throw new ActpatError(`compute in ${opts.dtype} on the ${ep} provider`, why);
  }

  private session(
    name: string,
    spec: () => {
      key: unknown;
      build: () => Graph;
      fileBacked: boolean;
      cpuArena?: boolean;
      deviceOutputs?: readonly string[];
    },
  ): Promise<InferenceSession> {
    let s = this.sessions.get(name);
    if (!s) {
      s = openGraphSession(spec(), this.opts);
      this.sessions.set(name, s);
      s.catch(() => this.sessions.delete(name));
    }
    return s;
  }

  private causalLm(outputs: CausalLmOptions["outputs"]): Promise<InferenceSession> {
    const { config, weights } = this.model;
    const graphOpts: CausalLmOptions = { dtype: this.opts.dtype, outputs };
    return this.session(`causal_lm:${JSON.stringify(outputs)}`, () => ({
      key: causalLmGraphKey(config, weights, graphOpts),
      build: () => buildCausalLmGraph(config, weights, graphOpts),
      fileBacked: allFileBacked(weights, modelTensorNames(config)),
    }));
  }

  /**
   * Layer 0's input for a batch: `hidden` [B, T, hidden] (float32, float64 for float64 runs) and the
   * right-padded `mask` [B, T] the decoder blocks take.
   */
  async embed(sequences: readonly (readonly number[])[]): Promise<{ hidden: HostTensor; mask: HostTensor }> {
    const { config, weights } = this.model;
    checkIds(config, sequences, "token id");
    const dtype = this.opts.dtype ?? "float32";
    const session = await this.session("embedding", () => ({
      key: embeddingGraphKey(config, weights, dtype),
      build: () => buildEmbeddingGraph(config, weights, dtype),
      fileBacked: allFileBacked(weights, ["model.embed_tokens.weight"]),
    }));
    const { ids, mask } = padBatch(sequences);
    const out = await runSession(session, { input_ids: ids });
    return { hidden: out.hidden, mask };
  }

  /**
   * Runs decoder layer `layer` on hidden states from {@link LlamaRunner.embed} or the previous layer:
   * `hidden` is the layer output [B, T, hidden], `sumsq` the Wanda statistics Σ over real tokens of x² per
   * input column, by distinct linear input (divide by the number of sequences for Wanda's scaler_row).
   */
  async decoderBlock(
    layer: number,
    hidden: HostTensor,
    mask: HostTensor,
    outputs: Pick<DecoderBlockOptions, "hidden" | "statistics"> = {},
  ): Promise<{ hidden?: HostTensor; sumsq?: Record<LinearInput, Float32Array | Float64Array> }> {
    const { config, weights } = this.model;
    const graphOpts: DecoderBlockOptions = { dtype: this.opts.dtype, ...outputs };
    const session = await this.session(`block:${layer}:${JSON.stringify(outputs)}`, () => ({
      key: decoderBlockGraphKey(config, weights, layer, graphOpts),
      build: () => buildDecoderBlockGraph(config, weights, layer, graphOpts),
      fileBacked: allFileBacked(weights, layerTensorNames(config, layer)),
    }));
    const out = await runSession(session, { hidden, attention_mask: mask });
    const result: { hidden?: HostTensor; sumsq?: Record<LinearInput, Float32Array | Float64Array> } = {};
    if (out.hidden_out) result.hidden = out.hidden_out;
    if (outputs.statistics ?? true) {
      result.sumsq = Object.fromEntries(
        Object.entries(SUMSQ_OUTPUT).map(([k, name]) => [k, out[name].data as Float32Array | Float64Array]),
      ) as Record<LinearInput, Float32Array | Float64Array>;
    }
    return result;
  }

  /**
   * Decoder layer `layer` as {@link LlamaRunner.decoderBlock} runs it, returning its output `hidden` and the
   * attention each key receives, `keyMass` [B, heads, T]: Σ over real query positions of the attention
   * probability (see `ATTENTION_KEY_MASS_OUTPUT`), float32 (float64 for float64 runs).
   */
  async decoderBlockAttention(
    layer: number,
    hidden: HostTensor,
    mask: HostTensor,
  ): Promise<{ hidden: HostTensor; keyMass: HostTensor }> {
    const { config, weights } = this.model;
    const graphOpts: DecoderBlockOptions = { dtype: this.opts.dtype, statistics: false, attention: true };
    const session = await this.session(`block-attention:${layer}`, () => ({
      key: decoderBlockGraphKey(config, weights, layer, graphOpts),
      build: () => buildDecoderBlockGraph(config, weights, layer, graphOpts),
      fileBacked: allFileBacked(weights, layerTensorNames(config, layer)),
    }));
    const out = await runSession(session, { hidden, attention_mask: mask });
    return { hidden: out.hidden_out, keyMass: out[ATTENTION_KEY_MASS_OUTPUT] };
  }

  /**
   * The paper's activation statistics for a batch: y per sample, and per linear weight (by Hugging Face
   * name) Σ over the batch of |W ⊙ ∂y/∂W| and/or, for the pairs (2i, 2i+1), (Σ|v_a v_b|, Σv_a², Σv_b²).
   */
  async activationGradients(
    sequences: readonly (readonly number[])[],
    opts: Omit<ActivationGradientOptions, "dtype" | "batch"> = {},
  ): Promise<ActivationGradients> {
    const { config } = this.model;
    checkIds(config, sequences, "token id");
    if (opts.similarity && sequences.length % 2 !== 0) {
      throw new ActpatError(
        "compute activation similarity",
        `the batch has ${sequences.length} samples; pairs need an even number`,
      );
    }
    const graphOpts: ActivationGradientOptions = { ...opts, dtype: this.opts.dtype, batch: sequences.length };
    const { ids, mask } = padBatch(sequences);
    const out = await this.withActivationSession(
      graphOpts,
      (session) => runSession(session, { input_ids: ids, attention_mask: mask }),
    );
    const layers = opts.layers ?? Array.from({ length: config.numLayers }, (_, l) => l);
    const result: ActivationGradients = { y: Float64Array.from(out.y.data as Float32Array) };
    if (opts.density ?? true) result.density = new Map();
    if (opts.similarity) result.similarity = new Map();
    for (const l of layers) {
      for (const m of LINEAR_MODULES) {
        const name = linearWeightName(l, m);
        if (result.density) {
          result.density.set(name, out[densityOutput(l, m)].data as Float32Array | Float64Array);
        }
        if (result.similarity) {
          const d = out[similarityOutput(l, m)].data as Float32Array | Float64Array;
          result.similarity.set(
            name,
            Array.from(
              { length: d.length / 3 },
              (_, p) => ({ dot: d[3 * p], aa: d[3 * p + 1], bb: d[3 * p + 2] }),
            ),
          );
        }
      }
    }
    return result;
  }

  /**
   * Adds a batch's Σ |W ⊙ ∂y/∂W| for the linears of `layers` (default all) to the running `sums` (none: start
   * from zero) and returns y and the new sums; the ones passed in are consumed. On a GPU provider the sums stay
   * in device memory between batches (only token ids go in, only y comes back); {@link densitySumsToHost}
   * brings them over once at the end.
   */
  async accumulateDensity(
    sequences: readonly (readonly number[])[],
    opts: { layers?: readonly number[]; sums?: DensitySums } = {},
  ): Promise<{ y: Float64Array; sums: DensitySums }> {
    const { config } = this.model;
    checkIds(config, sequences, "token id");
    const layers = opts.layers ?? Array.from({ length: config.numLayers }, (_, l) => l);
    const graphOpts: ActivationGradientOptions = {
      dtype: this.opts.dtype,
      layers,
      density: true,
      accumulate: true,
      batch: sequences.length,
    };
    const names = layers.flatMap((l) => LINEAR_MODULES.map((m) => linearWeightName(l, m)));
    if (opts.sums && (opts.sums.size !== names.length || names.some((n) => !opts.sums!.has(n)))) {
      throw new ActpatError(
        "accumulate density",
        `the running sums are for other weights than layers [${layers.join(", ")}]`,
      );
    }
    const float64 = accumulateDType(this.opts.dtype ?? "float32") === "float64";
    const { ids, mask } = padBatch(sequences);
    const feeds: Record<string, SessionValue> = { input_ids: ids, attention_mask: mask };
    for (const l of layers) {
      for (const m of LINEAR_MODULES) {
        const prior = opts.sums?.get(linearWeightName(l, m));
        const [rows, cols] = linearShape(config, m);
        // Fresh zeros are only read, so the kernel maps them to its shared zero page: no resident memory.
        feeds[densityInput(l, m)] = prior ??
          (float64
            ? hostTensor("float64", [rows, cols], new Float64Array(rows * cols))
            : hostTensor("float32", [rows, cols], new Float32Array(rows * cols)));
      }
    }
    const out = await this.withActivationSession(graphOpts, (session) => runSessionValues(session, feeds));
    for (const v of opts.sums?.values() ?? []) if (v instanceof DeviceTensor) v.release();
    const sums: DensitySums = new Map();
    for (const l of layers) {
      for (const m of LINEAR_MODULES) sums.set(linearWeightName(l, m), out[densityOutput(l, m)]);
    }
    const y = out.y as HostTensor;
    return { y: Float64Array.from(y.data as Float32Array | Float64Array), sums };
  }

  /**
   * Σ over every sequence of `batches` of |W ⊙ ∂y/∂W| for the linears of `layers` (default all), as host arrays
   * keyed by weight name; `onBatch` hears each batch's size and y once it is done. On CUDA consecutive batches
   * of similar length run as one chunk in a Loop graph (padded to the chunk's longest sequence and first batch's
   * size; padding samples weigh 0), so the sums stay on the GPU for the whole chunk; elsewhere one run per
   * batch through {@link accumulateDensity}.
   */
  async densitySums(
    batches: readonly (readonly (readonly number[])[])[],
    opts: { layers?: readonly number[]; onBatch?: (size: number, y: Float64Array) => void } = {},
  ): Promise<Map<string, Float32Array | Float64Array>> {
    if (batches.length === 0 || batches.some((b) => b.length === 0)) {
      throw new ActpatError("compute density sums", "there are no samples (an empty batch)");
    }
    if (!(this.opts.densityLoop ?? this.opts.ep === "cuda")) {
      let sums: DensitySums | undefined;
      for (const batch of batches) {
        const out = await this.accumulateDensity(batch, { layers: opts.layers, sums });
        sums = out.sums;
        opts.onBatch?.(batch.length, out.y);
      }
      return await this.densitySumsToHost(sums!);
    }
    let sums: Map<string, Float32Array | Float64Array> | undefined;
    for (const chunk of densityChunks(batches)) {
      const out = await this.loopDensity(chunk, { layers: opts.layers, sums });
      sums = out.sums;
      chunk.forEach((b, i) => opts.onBatch?.(b.length, out.y[i]));
    }
    return sums!;
  }

  /** One {@link densitySums} chunk on CUDA: the batches inside one Loop run, the sums so far fed in. */
  private async loopDensity(
    batches: readonly (readonly (readonly number[])[])[],
    opts: { layers?: readonly number[]; sums?: Map<string, Float32Array | Float64Array> },
  ): Promise<{ y: Float64Array[]; sums: Map<string, Float32Array | Float64Array> }> {
    const { config } = this.model;
    for (const b of batches) checkIds(config, b, "token id");
    const layers = opts.layers ?? Array.from({ length: config.numLayers }, (_, l) => l);
    const B = batches[0].length;
    if (batches.some((b) => b.length > B)) {
      throw new ActpatError(
        "compute density sums",
        `a chunk's batches must not exceed its first one's ${B} samples`,
      );
    }
    const N = batches.length;
    const T = Math.max(...batches.flatMap((b) => b.map((s) => s.length)));
    const ids = new BigInt64Array(N * B * T), mask = new BigInt64Array(N * B * T);
    const acc = accumulateDType(this.opts.dtype ?? "float32");
    const weight = acc === "float64" ? new Float64Array(N * B) : new Float32Array(N * B);
    batches.forEach((batch, n) => {
      for (let b = 0; b < B; b++) {
        // A short batch is topped up with copies of its first sample at weight 0 (their δ is exactly zero).
        const seq = batch[b] ?? batch[0];
        weight[n * B + b] = b < batch.length ? 1 : 0;
        seq.forEach((id, t) => {
          ids[(n * B + b) * T + t] = BigInt(id);
          mask[(n * B + b) * T + t] = 1n;
        });
      }
    });
    const feeds: Record<string, SessionValue> = {
      input_ids: hostTensor("int64", [N, B, T], ids),
      attention_mask: hostTensor("int64", [N, B, T], mask),
      sample_weight: hostTensor(acc, [N, B], weight),
    };
    for (const l of layers) {
      for (const m of LINEAR_MODULES) {
        const prior = opts.sums?.get(linearWeightName(l, m));
        const [rows, cols] = linearShape(config, m);
        feeds[densityInput(l, m)] = prior
          ? hostTensor(acc, [rows, cols], prior)
          : hostTensor(acc, [1, 1], acc === "float64" ? new Float64Array(1) : new Float32Array(1));
      }
    }
    const graphOpts: ActivationGradientOptions = {
      dtype: this.opts.dtype,
      layers,
      density: true,
      batch: B,
      products: "batched",
      loop: true,
    };
    const out = await this.withActivationSession(graphOpts, (session) => runSession(session, feeds));
    const sums = new Map<string, Float32Array | Float64Array>();
    for (const l of layers) {
      for (const m of LINEAR_MODULES) {
        sums.set(linearWeightName(l, m), out[densityOutput(l, m)].data as Float32Array | Float64Array);
      }
    }
    const y = out.y.data as Float32Array | Float64Array;
    return { y: batches.map((b, n) => Float64Array.from(y.subarray(n * B, n * B + b.length))), sums };
  }

  /** The running sums of {@link accumulateDensity} as host arrays (device ones are copied and released). */
  async densitySumsToHost(sums: DensitySums): Promise<Map<string, Float32Array | Float64Array>> {
    const host = new Map<string, Float32Array | Float64Array>();
    for (const [name, v] of sums) {
      host.set(name, (await toHost(v)).data as Float32Array | Float64Array);
      if (v instanceof DeviceTensor) v.release();
    }
    return host;
  }

  /**
   * Runs `fn` on the activation-gradient session for `graphOpts`. One graph (and session) per batch size: the
   * per-sample chain is unrolled. A new one replaces the idle others (a run's last, smaller batch, a new layer
   * group): on a GPU, or with float16 weights computed in float32, every session holds its own weight copy.
   */
  private async withActivationSession<T>(
    graphOpts: ActivationGradientOptions,
    fn: (session: InferenceSession) => Promise<T>,
  ): Promise<T> {
    const { config, weights } = this.model;
    const name = `activation:${JSON.stringify(graphOpts)}`;
    if (!this.sessions.has(name)) await this.releaseIdleActivationSessions();
    this.activationRuns.set(name, (this.activationRuns.get(name) ?? 0) + 1);
    try {
      const session = await this.session(name, () => ({
        key: activationGradientGraphKey(config, weights, graphOpts),
        build: () => buildActivationGradientGraph(config, weights, graphOpts),
        fileBacked: allFileBacked(weights, modelTensorNames(config)),
        cpuArena: activationArena(config, graphOpts.dtype ?? "float32"),
        deviceOutputs: graphOpts.accumulate
          ? (graphOpts.layers ?? []).flatMap((l) => LINEAR_MODULES.map((m) => densityOutput(l, m)))
          : undefined,
      }));
      return await fn(session);
    } finally {
      this.activationRuns.set(name, this.activationRuns.get(name)! - 1);
    }
  }

  private async releaseIdleActivationSessions(): Promise<void> {
    for (const [name, s] of [...this.sessions]) {
      if (name.startsWith("activation:") && !this.activationRuns.get(name)) {
        this.sessions.delete(name);
        this.activationRuns.delete(name);
        await (await s).release();
      }
    }
  }

  /** Releases the sessions of decoder layer `layer` (their weights leave memory). */
  async releaseLayer(layer: number): Promise<void> {
    for (const [name, s] of [...this.sessions]) {
      if (name.startsWith(`block:${layer}:`)) {
        this.sessions.delete(name);
        await (await s).release();
      }
    }
  }

  /**
   * log p(targets[i][t] | sequences[i][0..t]) for every position of every sequence (targets as long as
   * their sequence). Sequences of different lengths are padded on the right and unpadded again.
   */
  async logProbs(sequences: readonly (readonly number[])[], targets: readonly (readonly number[])[]): Promise<
    Float64Array[]
  > {
    const { config } = this.model;
    checkTargets(config, sequences, targets);
    const { ids, mask, length } = padBatch(sequences);
    const tgt = padBatch(targets).ids;
    const out = await runSession(await this.causalLm({ logProbs: true }), {
      input_ids: ids,
      attention_mask: mask,
      targets: tgt,
    });
    const data = out.log_probs.data as Float32Array | Float64Array;
    return sequences.map((s, b) => Float64Array.from(data.subarray(b * length, b * length + s.length)));
  }

  /** Next-token logits [T × vocab] (row-major) for every position of every sequence. */
  async logits(sequences: readonly (readonly number[])[]): Promise<(Float32Array | Float64Array)[]> {
    const { config } = this.model;
    checkIds(config, sequences, "token id");
    const { ids, mask, length } = padBatch(sequences);
    const out = await runSession(await this.causalLm({ logits: true }), {
      input_ids: ids,
      attention_mask: mask,
    });
    const data = out.logits.data as Float32Array | Float64Array;
    const V = config.vocabSize;
    return sequences.map((s, b) => data.slice(b * length * V, (b * length + s.length) * V));
  }

  /** Logits [vocab] after the last token of each sequence. */
  async lastLogits(sequences: readonly (readonly number[])[]): Promise<(Float32Array | Float64Array)[]> {
    const { config } = this.model;
    checkIds(config, sequences, "token id");
    const { ids, mask } = padBatch(sequences);
    const out = await runSession(await this.causalLm({ lastLogits: true }), {
      input_ids: ids,
      attention_mask: mask,
    });
    const data = out.last_logits.data as Float32Array | Float64Array;
    const V = config.vocabSize;
    return sequences.map((_, b) => data.slice(b * V, (b + 1) * V));
  }

  /** Releases every session. */
  async release(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) await (await s).release();
  }

  /**
   * log p(targets[i][t] | ...) from the last decoder layer's output `hidden` [B, T, hidden] (as
   * {@link LlamaRunner.decoderBlock} returns it, possibly edited): the final norm, lm_head and log-softmax
   * of the causal LM, applied to given hidden states. Row i scores its first `targets[i].length` positions.
   */
  async headLogProbs(hidden: HostTensor, targets: readonly (readonly number[])[]): Promise<Float64Array[]> {
    const { config, weights } = this.model;
    const [B, T, d] = hidden.dims;
    if (hidden.dims.length !== 3 || d !== config.hiddenSize) {
      throw new ActpatError(
        "score hidden states",
        `hidden has dims [${hidden.dims.join(", ")}], expected [B, T, ${config.hiddenSize}]`,
      );
    }
    if (targets.length !== B) {
      throw new ActpatError("score hidden states", `${targets.length} target rows for a batch of ${B}`);
    }
    checkIds(config, targets, "target id");
    const tgt = new BigInt64Array(B * T);
    targets.forEach((row, b) => {
      if (row.length > T) {
        throw new ActpatError(
          "score hidden states",
          `target row ${b} has ${row.length} ids, more than the ${T} positions`,
        );
      }
      row.forEach((id, t) => tgt[b * T + t] = BigInt(id));
    });
    const dtype = this.opts.dtype ?? "float32";
    const session = await this.session("lm_head", () => ({
      key: lmHeadGraphKey(config, weights, dtype),
      build: () => buildLmHeadGraph(config, weights, dtype),
      fileBacked: allFileBacked(weights, lmHeadTensorNames(config)),
    }));
    const out = await runSession(session, { hidden, targets: hostTensor("int64", [B, T], tgt) });
    const data = out.log_probs.data as Float32Array | Float64Array;
    return targets.map((row, b) => Float64Array.from(data.subarray(b * T, b * T + row.length)));
  }

  /**
   * {@link LlamaRunner.logProbs} and {@link LlamaRunner.lastLogits} of the same sequences from one run: the
   * log-probabilities of the given targets at every position, and the full logits after the last token (for
   * lm-eval requests whose choices share an input and differ in their final token).
   */
  async logProbsAndLastLogits(
    sequences: readonly (readonly number[])[],
    targets: readonly (readonly number[])[],
  ): Promise<{ logProbs: Float64Array[]; lastLogits: (Float32Array | Float64Array)[] }> {
    const { config } = this.model;
    checkTargets(config, sequences, targets);
    const { ids, mask, length } = padBatch(sequences);
    const out = await runSession(await this.causalLm({ logProbs: true, lastLogits: true }), {
      input_ids: ids,
      attention_mask: mask,
      targets: padBatch(targets).ids,
    });
    const lp = out.log_probs.data as Float32Array | Float64Array;
    const last = out.last_logits.data as Float32Array | Float64Array;
    const V = config.vocabSize;
    return {
      logProbs: sequences.map((s, b) => Float64Array.from(lp.subarray(b * length, b * length + s.length))),
      lastLogits: sequences.map((_, b) => last.slice(b * V, (b + 1) * V)),
    };
  }
}
