/**
 * `deno task prune`: Wanda or magnitude pruning of the seven linears of every decoder layer, with a uniform,
 * activation-based (the paper's formula from per-layer activated-parameter counts) or OWL layer allocation,
 * unstructured or N:M; the result is saved as a Hugging Face checkpoint with `pruning.json` and
 * `sparsity.csv` (see {@link pruneModel}, {@link runPrune}).
 */
import { join } from "node:path";
import type { LoadOptions } from "../../data/mod.ts";
import { LINEAR_MODULES, linearShape, type LlamaConfig } from "../../model/llama_config.ts";
import type { LlamaRunOptions } from "../../model/llama/mod.ts";
import { type LoadedModel } from "../../model/load_model.ts";
import { PeakMemory } from "../../util/peak_memory.ts";
import type { OverlayWeightStore } from "../../model/overlay_weights.ts";
import type { CsvSchema } from "../../results/csv.ts";
import type { DatasetRecord } from "../../results/manifest.ts";
import { versions } from "../../results/manifest.ts";
import { writeCsv } from "../../results/csv.ts";
import { writeFileAtomic } from "../../util/atomic_write.ts";
import { ActpatError } from "../../util/errors.ts";
import {
  calibrationLabel,
  type CalibrationSet,
  calibrationSet,
  type CalibrationSpec,
  checkCalibrationDataset,
} from "./calibration_sets.ts";
import { computeDensityCounts, type GammaSpec, parseGamma, readDensityCounts } from "../density/mod.ts";
import { checkCheckpointDir, PrunedCheckpointWriter } from "./pruned_checkpoint.ts";
import { activationAllocation, owlAllocation, uniformAllocation } from "./layer_allocation.ts";
import { PAPER_LIST_SOURCE, paperListAllocation, paperListFor, type PaperListModel } from "./paper_lists.ts";
import { parsePrunePattern, type PrunePattern } from "./mask.ts";
import { type ModuleSparsity, owlOutlierRatios, type PruneMethod, pruneSequential } from "./sequential.ts";
import { experimentRun, type RunOptions } from "../experiment_run.ts";

/**
 * Layer allocations: uniform; `activation-formula`, the paper's formula on activated-parameter counts
 * (layer_allocation.ts); `paper-lists`, the per-layer lists the authors' code prunes with (paper_lists.ts,
 * Table 1's "Wanda (ours)"); OWL.
 */
export const ALLOCATIONS = ["uniform", "activation-formula", "paper-lists", "owl"] as const;
export type Allocation = typeof ALLOCATIONS[number];

/** Everything that decides a pruned model (recorded in `pruning.json` and the run manifest). */
export interface PruneConfig {
  method: PruneMethod;
  allocation: Allocation;
  /** Mean target sparsity S (unstructured); N:M patterns fix it at N/M. */
  sparsity: number;
  /** "unstructured" or "N:M" (2:4, 4:8). */
  pattern: string;
  calibration: CalibrationSpec;
  nsamples: number;
  /** Calibration window length; null: the model's max_position_embeddings (Wanda's `model.seqlen`). */
  seqLen: number | null;
  seed: number;
  /** Calibration sequences per engine call. */
  batchSize: number;
  /**
   * `paper-lists`: which of the authors' lists (llama-7b, llama2-7b, llama2-13b, llama3-8b); null: the one
   * the model reference names (paper_lists.ts `paperListFor`).
   */
  paperList: string | null;
  /** Activation allocation: α, β, std convention and where the counts N_i come from. */
  activation: {
    alpha: number;
    beta: number;
    std: "population" | "sample";
    /** A density run directory (its density.csv); null: compute the counts now. */
    densityFrom: string | null;
    /**
     * Dataset of the counts: of density.csv (default: the calibration dataset, or the file's only one), or
     * the one to compute them on (default: the calibration dataset).
     */
    densityDataset: string | null;
    /** Computing now: γ (absolute, or `q<p>` quantile), samples N and corpus window length. */
    gamma: GammaSpec;
    samples: number;
    maxLen: number;
  };
  /** OWL: λ and the outlier multiple M. */
  /**
   * OWL's λ and outlier multiple M, and its calibration window length (null: {@link calibrationSeqLen}'s
   * rule, OWL's 2048).
   */
  owl: { lambda: number; M: number; seqLen: number | null };
}

/** Defaults of everything but model and output. */
export function defaultPruneConfig(overrides: Partial<PruneConfig> = {}): PruneConfig {
  return {
    method: "wanda",
    allocation: "uniform",
    sparsity: 0.5,
    pattern: "unstructured",
    calibration: { dataset: "c4" },
    nsamples: 128,
    seqLen: null,
    seed: 0,
    batchSize: 8,
    paperList: null,
    activation: {
      alpha: 2,
      beta: 0.2,
      std: "population",
      densityFrom: null,
      densityDataset: null,
      gamma: parseGamma("q0.99"),
      samples: 64,
      maxLen: 256,
    },
    owl: { lambda: 0.08, M: 5, seqLen: null },
    ...overrides,
  };
}

/** How the layer targets were obtained. */
export type AllocationInputs =
  | { kind: "uniform" }
  | {
    kind: "activation-formula";
    counts: number[];
    dataset: string;
    gamma: string | null;
    file: string;
    alpha: number;
    beta: number;
    std: string;
    /** Computed now: the γ value used and the samples (dataset/split/ids or windows in `datasets`). */
    gammaValue?: number;
    split?: string;
  }
  | { kind: "owl"; outlierRatios: number[]; lambda: number; M: number }
  | { kind: "paper-lists"; list: string; source: string };

/** A pruned model ready to evaluate, with everything `pruning.json` and `sparsity.csv` say. */
export interface PrunedModel {
  weights: OverlayWeightStore;
  targets: number[];
  modules: ModuleSparsity[];
  calibration: CalibrationSet | null;
  allocationInputs: AllocationInputs;
  /** Manifest records of every dataset split read (calibration, density samples). */
  datasets: DatasetRecord[];
  /** The content of `pruning.json`. */
  description: Record<string, unknown>;
  seconds: number;
}

/** Columns of `sparsity.csv`. */
export const SPARSITY_SCHEMA: CsvSchema = [
  { name: "layer", type: "integer", description: "decoder layer" },
  { name: "module", type: "string", description: "linear weight (q_proj ... down_proj)" },
  { name: "params", type: "integer", description: "weights in the matrix" },
  { name: "target", type: "number", description: "target sparsity of the layer (N/M for N:M)" },
  {
    name: "achieved",
    type: "number",
    description: "fraction of the matrix's weights equal to zero after pruning",
  },
  { name: "pruned", type: "integer", description: "weights the pruning mask set to zero" },
];

/** The rows of `sparsity.csv`. */
export function sparsityRows(modules: readonly ModuleSparsity[]) {
  return modules.map((m) => ({
    layer: m.layer,
    module: m.module,
    params: m.rows * m.cols,
    target: m.target,
    achieved: m.zeros / (m.rows * m.cols),
    pruned: m.pruned,
  }));
}

/** Checks a configuration before any work; returns the per-layer pattern kind. */
function checkConfig(config: PruneConfig, model: LlamaConfig): PrunePattern {
  const layers = model.numLayers;
  const pattern = parsePrunePattern(config.pattern, config.sparsity);
  if (config.method === "wanda" || config.allocation === "owl") {
    checkCalibrationDataset(config.calibration.dataset);
  }
  if (pattern.kind === "unstructured" && !(config.sparsity > 0 && config.sparsity < 1)) {
    throw new ActpatError("prune", `--sparsity must be in (0, 1), got ${config.sparsity}`);
  }
  if (pattern.kind === "nm" && config.allocation !== "uniform") {
    throw new ActpatError("prune", `N:M patterns (${config.pattern}) take --allocation uniform only`);
  }
  if (pattern.kind === "nm") {
    for (const m of LINEAR_MODULES) {
      const cols = linearShape(model, m)[1];
      if (cols % pattern.m !== 0) {
        throw new ActpatError(
          "prune",
          `${m} has ${cols} input columns, not a multiple of M = ${pattern.m} (--sparsity-type ${config.pattern})`,
        );
      }
    }
  }
  if (layers < 2 && config.allocation === "activation-formula") {
    throw new ActpatError("prune", "the activation allocation needs at least 2 layers");
  }
  return pattern;
}

/** Options of {@link pruneModel}. */
export interface PruneModelOptions {
  run?: LlamaRunOptions;
  load?: LoadOptions;
  /**
   * Folder the pruned layers are written to as they are done (a sharded safetensors checkpoint); without
   * it the pruned matrices stay in memory. With `save`, the folder is completed into a checkpoint that
   * transformers loads (config, tokenizer files, pruning.json, sparsity.csv).
   */
  spillDir?: string;
  save?: boolean;
  /** The calibration set of `config`, already built (several prunings with one calibration). */
  calibration?: CalibrationSet;
  quiet?: boolean;
}

/**
 * OWL's calibration window length: luuyin/OWL main.py sets `model.seqlen = 2048` and every pruning function
 * draws `get_loaders("c4", ..., seqlen=2048)` (lib/prune_all.py), whatever the model's context.
 */
export const OWL_SEQ_LEN = 2048;

/**
 * The calibration window length of `config`: `seqLen`, else the model's max_position_embeddings (Wanda's
 * `model.seqlen`); with the OWL allocation `owl.seqLen`, else OWL's 2048, never longer than those windows
 * (a shorter configured length is kept, e.g. a small model's).
 */
export function calibrationSeqLen(config: PruneConfig, maxPositionEmbeddings: number): number {
  const seqLen = config.seqLen ?? maxPositionEmbeddings;
  if (config.allocation !== "owl") return seqLen;
  return config.owl.seqLen ?? Math.min(OWL_SEQ_LEN, seqLen);
}

/**
 * Prunes `model` as `config` says: builds the calibration set (Wanda, OWL), the layer targets, then prunes
 * layer by layer. The source checkpoint is never modified.
 */
export async function pruneModel(
  model: LoadedModel,
  config: PruneConfig,
  options: PruneModelOptions = {},
): Promise<PrunedModel> {
  const L = model.config.numLayers;
  const base = checkConfig(config, model.config);
  // Before any calibration work: a model without an authors' list fails now.
  if (config.allocation === "paper-lists" && base.kind !== "nm") {
    paperListAllocation(config.paperList ?? paperListFor(model.ref), {
      layers: L,
      sparsity: config.sparsity,
    });
  }
  if (options.save) {
    if (!options.spillDir) throw new ActpatError("save pruned model", "no folder given");
    if (model.format !== "hf") {
      throw new ActpatError(
        "save pruned model",
        `${model.ref} is a llama2.c checkpoint, which has no Hugging Face config or tokenizer.json to copy; ` +
          "prune its Hugging Face form (e.g. stories260K-hf)",
      );
    }
    await checkCheckpointDir(options.spillDir, model.dir);
  }
  const t0 = performance.now();
  const needsCalibration = config.method === "wanda" || config.allocation === "owl";
  const calibration = !needsCalibration
    ? null
    : options.calibration ?? await calibrationSet(config.calibration, model.tokenizer, {
      nsamples: config.nsamples,
      seqLen: calibrationSeqLen(config, model.config.maxPositionEmbeddings),
      seed: config.seed,
      load: options.load,
      quiet: options.quiet,
    });

  let targets: number[];
  let allocationInputs: AllocationInputs;
  const datasets: DatasetRecord[] = calibration ? [calibration.record] : [];
  if (base.kind === "nm") {
    targets = uniformAllocation(L, base.n / base.m);
    allocationInputs = { kind: "uniform" };
  } else if (config.allocation === "uniform") {
    targets = uniformAllocation(L, config.sparsity);
    allocationInputs = { kind: "uniform" };
  } else if (config.allocation === "paper-lists") {
    const list = config.paperList ?? paperListFor(model.ref);
    targets = paperListAllocation(list, { layers: L, sparsity: config.sparsity });
    const src = PAPER_LIST_SOURCE;
    allocationInputs = {
      kind: "paper-lists",
      list: list!,
      source: `${src.repository}@${src.commit} ${src.file}:${src.lines[list as PaperListModel]}`,
    };
  } else if (config.allocation === "activation-formula") {
    const a = config.activation;
    const density = a.densityFrom !== null
      ? await readDensityCounts(a.densityFrom, {
        numLayers: L,
        dataset: a.densityDataset ?? undefined,
        preferred: config.calibration.dataset,
      })
      : await computeDensityCounts(model, {
        dataset: a.densityDataset ?? config.calibration.dataset,
        // On the calibration data unless another dataset is named (then the paper's sample split).
        split: a.densityDataset === null ? calibration?.split ?? config.calibration.split : undefined,
        samples: a.samples,
        maxLen: a.maxLen,
        gamma: a.gamma,
        seed: config.seed,
        batchSize: config.batchSize,
        run: options.run,
        load: options.load,
      });
    if (!options.quiet) {
      console.error(
        `activated parameters per layer (${density.dataset}, γ ${density.gamma}): ${
          density.counts.join(", ")
        }`,
      );
    }
    targets = activationAllocation(density.counts, {
      sparsity: config.sparsity,
      alpha: a.alpha,
      beta: a.beta,
      std: a.std,
    });
    allocationInputs = {
      kind: "activation-formula",
      counts: density.counts,
      dataset: density.dataset,
      gamma: density.gamma,
      file: density.file,
      alpha: a.alpha,
      beta: a.beta,
      std: a.std,
      ...(density.computed
        ? { gammaValue: density.computed.gammaValue, split: density.computed.samples.split }
        : {}),
    };
    if (density.computed) datasets.push(...density.computed.samples.records);
  } else {
    const outlierRatios = await owlOutlierRatios(model, calibration!.sequences, {
      M: config.owl.M,
      batchSize: config.batchSize,
      run: options.run,
      quiet: options.quiet,
    });
    targets = owlAllocation(outlierRatios, { sparsity: config.sparsity, lambda: config.owl.lambda });
    allocationInputs = { kind: "owl", outlierRatios, lambda: config.owl.lambda, M: config.owl.M };
  }
  const patterns: PrunePattern[] = targets.map((s) =>
    base.kind === "nm" ? base : { kind: "unstructured", sparsity: s }
  );

  const writer = options.spillDir ? new PrunedCheckpointWriter(options.spillDir, model.config) : undefined;
  const result = await pruneSequential(model, {
    method: config.method,
    patterns,
    calibration: config.method === "wanda" ? calibration!.sequences : undefined,
    batchSize: config.batchSize,
    run: options.run,
    onLayer: writer ? (l, store) => writer.writeLayer(l, store) : undefined,
    quiet: options.quiet,
  });
  if (writer) await writer.finish(result.weights, options.save ? { sourceDir: model.dir } : {});
  const seconds = (performance.now() - t0) / 1000;
  const description = pruningDescription(model, config, {
    targets,
    allocationInputs,
    calibration,
    modules: result.modules,
    seconds,
    phases: result.phases,
  });
  if (options.save) {
    await writeFileAtomic(
      join(options.spillDir!, "pruning.json"),
      JSON.stringify(description, null, 2) + "\n",
    );
    await writeCsv(join(options.spillDir!, "sparsity.csv"), SPARSITY_SCHEMA, sparsityRows(result.modules));
  }
  return {
    weights: result.weights,
    targets,
    modules: result.modules,
    calibration,
    allocationInputs,
    datasets,
    description,
    seconds,
  };
}

/** The content of `pruning.json`. */
function pruningDescription(
  model: LoadedModel,
  config: PruneConfig,
  done: {
    targets: number[];
    allocationInputs: AllocationInputs;
    calibration: CalibrationSet | null;
    modules: ModuleSparsity[];
    seconds: number;
    phases: Record<string, number>;
  },
): Record<string, unknown> {
  let params = 0;
  let zeros = 0;
  for (const m of done.modules) {
    params += m.rows * m.cols;
    zeros += m.zeros;
  }
  const c = done.calibration;
  return {
    tool: `actpat ${versions().actpat}`,
    createdAt: new Date().toISOString(),
    source: { ref: model.ref, format: model.format, files: model.files },
    method: config.method,
    allocation: config.allocation,
    pattern: config.pattern,
    sparsity: config.sparsity,
    achievedSparsity: params > 0 ? zeros / params : 0,
    layers: done.targets.map((target, layer) => ({ layer, target })),
    allocationInputs: done.allocationInputs,
    calibration: c
      ? {
        set: calibrationLabel(config.calibration),
        dataset: c.dataset,
        split: c.split,
        procedure: c.procedure,
        nsamples: config.nsamples,
        seqLen: calibrationSeqLen(config, model.config.maxPositionEmbeddings),
        seed: config.seed,
        files: c.record.files.map((f) => ({ path: f.path, sha256: f.sha256 })),
        ...(c.record.windows ? { windows: c.record.windows } : {}),
        ...(c.record.examples ? { examples: c.record.examples } : {}),
        ...(c.fillRows ? { fillRows: c.fillRows } : {}),
        ...(c.note ? { note: c.note } : {}),
      }
      : null,
    seconds: done.seconds,
    phaseSeconds: done.phases,
  };
}

/** Options of {@link runPrune}. */
export interface PruneRunOptions extends RunOptions {
  config: PruneConfig;
  /** Checkpoint folder (default `<run dir>/model`). */
  save?: string;
}

/**
 * Runs `deno task prune`: a run directory with `sparsity.csv`, `pruning.json` and the manifest (calibration
 * windows or rows, timings, peak memory), and the pruned checkpoint in `save`.
 */
export async function runPrune(
  opts: PruneRunOptions,
): Promise<{ dir: string; save: string; pruned: PrunedModel }> {
  const config = {
    model: opts.model,
    tokenizer: opts.tokenizer ?? null,
    save: opts.save ?? null,
    ...opts.config,
    calibration: calibrationLabel(opts.config.calibration),
    dtype: opts.engine.dtype,
    threads: opts.engine.threads ?? null,
  };
  return await experimentRun(
    { ...opts, command: "prune", config, seed: opts.config.seed },
    async ({ run, model }) => {
      const mem = new PeakMemory();
      let pruned: PrunedModel;
      const save = opts.save ?? join(run.path, "model");
      try {
        pruned = await pruneModel(model, opts.config, {
          run: opts.engine,
          load: opts.load,
          spillDir: save,
          save: true,
          quiet: opts.quiet,
        });
      } finally {
        run.manifest.config = { ...run.manifest.config, measurements: mem.stop() };
      }
      for (const d of pruned.datasets) await run.recordDataset(d);
      run.manifest.config = { ...run.manifest.config, save, seconds: pruned.seconds };
      await run.save();
      await run.writeCsv(
        "sparsity.csv",
        SPARSITY_SCHEMA,
        sparsityRows(pruned.modules),
        "target and achieved sparsity per linear",
      );
      await run.writeJson(
        "pruning.json",
        pruned.description,
        "pruning method, allocation, per-layer targets, calibration",
      );
      if (!opts.quiet) {
        const d = pruned.description;
        console.log(
          `pruned ${opts.model} (${d.method}, ${d.allocation}, ${d.pattern}) in ${
            pruned.seconds.toFixed(1)
          } s`,
        );
        console.log(`targets per layer: ${pruned.targets.map((t) => t.toFixed(4)).join(", ")}`);
        console.log(`achieved sparsity: ${(d.achievedSparsity as number).toFixed(6)}`);
        console.log(`checkpoint: ${save}`);
        console.log(`run directory: ${run.path}`);
      }
      return { dir: run.path, save, pruned };
    },
  );
}
