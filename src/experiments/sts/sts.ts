/**
 * STS experiment (paper Table 3, issue 6): do sentences that people judge similar share activation
 * patterns? For each sampled pair of STS-B / SICK, each sentence is fed alone and, per decoder layer, the
 * activation similarity Σ|v_a v_b| / (‖v_a‖ ‖v_b‖) over the layer's 7 linear weights is taken
 * (v = W ⊙ ∂y/∂W, y = max last-position logit). The score of a layer range is the sum of its layers'
 * similarities, and its Spearman correlation with the gold scores is reported with the two-sided p-value.
 *
 * Following the paper's code (Qian2333/Exploring-Activation-Patterns-of-Parameters-in-Language-Models @93503116):
 * llama_sts.py feeds `tokenizer(sentence).input_ids` (the sentence as is, with the tokenizer's BOS, no prompt
 * template), takes y = max of logits[0, -1], concatenates the 7 matrices of a layer (lib/util/weight_score.py
 * `get_gradient_tensors_by_modules`: 2-D parameters, embeddings and lm_head excluded), and sums the per-layer
 * similarities over `range(12, L − 2)`, `range(12, L)`, `range(16, …)`, `range(20, …)`. Pairs are drawn as
 * llama_sts.py draws them (src/data/paper_runs.ts `paperStsRows`, Python's `random` bit for bit): STS-B's
 * first N rows in file order, SICK's first N of a `random.shuffle` seeded with the run's seed. The model runs
 * in the chosen compute dtype (the paper: float16 weights, similarities in float32).
 *
 * Baselines on the same pairs: cosine similarity of mean-pooled and of last-token hidden states
 * (hidden_similarity.ts), scored per range by the mean of the per-layer cosines. Sum and mean over a fixed
 * range differ by a constant factor, so the choice does not change any Spearman correlation.
 */
import {
  type DatasetHandle,
  DATASETS,
  type LoadedSplit,
  openDataset,
  pairTexts,
  paperStsRows,
} from "../../data/mod.ts";
import { type LoadedModel, loadModel } from "../../model/load_model.ts";
import { LlamaRunner } from "../../model/llama/llama_runner.ts";
import { contentHash } from "../../results/content_hash.ts";
import type { CsvRow, CsvSchema } from "../../results/csv.ts";
import { datasetRecord } from "../../results/manifest.ts";
import { runStage } from "../../results/run_dir.ts";
import { ActpatError, UsageError } from "../../util/errors.ts";
import type { TokenPair } from "./hidden_similarity.ts";
import { type PairSimilarities, pairSimilarities } from "./pair_similarity.ts";
import {
  type LayerRange,
  type LayerRangeSpec,
  rangeLayers,
  resolveLayerRanges,
  unionLayers,
} from "../layer_ranges.ts";
import { spearman } from "../stats/spearman.ts";
import { experimentRun, type RunOptions } from "../experiment_run.ts";

/**
 * Default `--layers`: the paper's six ranges as fractions of depth. On a 32-layer model they are exactly
 * llama_sts.py's range(12, 30), range(12, 32), range(16, 30), range(16, 32), range(20, 30), range(20, 32).
 */
export const PAPER_LAYER_RANGES: readonly string[] = [
  "0.375-0.9375",
  "0.375-1.0",
  "0.5-0.9375",
  "0.5-1.0",
  "0.625-0.9375",
  "0.625-1.0",
];

/** The similarity measures compared. */
export const STS_METHODS = ["activation", "hidden_mean", "hidden_last"] as const;
export type StsMethod = typeof STS_METHODS[number];

/** How each measure pools its per-layer values over a range: the paper sums; the baselines average. */
export const RANGE_REDUCTION: Readonly<Record<StsMethod, "sum" | "mean">> = {
  activation: "sum",
  hidden_mean: "mean",
  hidden_last: "mean",
};

/** Split names accepted besides the registry's own: GLUE/STS-B say "dev", SICK calls its dev set "trial". */
export const SPLIT_ALIASES: Readonly<Record<string, string>> = { dev: "validation", trial: "validation" };

/** The score of one pair over a range: per-layer values (aligned with `layers`) summed or averaged. */
export function rangeScore(
  values: readonly number[],
  layers: readonly number[],
  range: LayerRange,
  reduction: "sum" | "mean",
): number {
  let sum = 0;
  const inRange = rangeLayers(range);
  for (const l of inRange) {
    const k = layers.indexOf(l);
    if (k < 0) throw new ActpatError(`score layer range ${range.label}`, `layer ${l} was not computed`);
    sum += values[k];
  }
  return reduction === "sum" ? sum : sum / inRange.length;
}

/** One row of the correlation table (before the model, benchmark and split are added). */
export interface StsCorrelation {
  method: StsMethod;
  range: LayerRange;
  reduction: "sum" | "mean";
  spearman: number;
  pValue: number;
  n: number;
  /** Why spearman is NaN, when it is. */
  reason?: string;
}

/** Spearman correlation of every measure's range score with the gold scores, method-major. */
export function stsCorrelations(
  sims: PairSimilarities,
  gold: readonly number[],
  ranges: readonly LayerRange[],
): StsCorrelation[] {
  const rows: StsCorrelation[] = [];
  for (const method of STS_METHODS) {
    const reduction = RANGE_REDUCTION[method];
    for (const range of ranges) {
      const scores = sims[method].map((values) => rangeScore(values, sims.layers, range, reduction));
      const r = spearman(scores, gold);
      rows.push({ method, range, reduction, spearman: r.rho, pValue: r.pValue, n: r.n, reason: r.reason });
    }
  }
  return rows;
}

/** The registry's name of `split` for a sentence-pair dataset (aliases: {@link SPLIT_ALIASES}). */
export function resolveStsSplit(dataset: DatasetHandle, split: string): string {
  const splits = Object.keys(dataset.spec.splits);
  if (splits.includes(split)) return split;
  const alias = SPLIT_ALIASES[split];
  if (alias !== undefined && splits.includes(alias)) return alias;
  const aliases = Object.entries(SPLIT_ALIASES).map(([a, s]) => `${a} = ${s}`).join(", ");
  throw new ActpatError(
    `find split "${split}" of ${dataset.spec.name}`,
    `known splits: ${splits.join(", ")} (aliases: ${aliases})`,
  );
}

/** The registered sentence-pair datasets. */
export function sentencePairDatasets(): string[] {
  return DATASETS.names().filter((n) => DATASETS.get(n).kind === "sentence-pair");
}

/** Checks `--benchmarks`: known datasets (with "did you mean") of the sentence-pair kind, each once. */
export function checkBenchmarks(benchmarks: readonly string[]): void {
  if (benchmarks.length === 0) {
    throw new UsageError(
      "parse --benchmarks",
      `no benchmark given (choose from ${sentencePairDatasets().join(", ")})`,
    );
  }
  for (const [i, b] of benchmarks.entries()) {
    const spec = DATASETS.get(b);
    if (spec.kind !== "sentence-pair") {
      throw new UsageError(
        "parse --benchmarks",
        `"${b}" is a ${spec.kind} dataset, not a sentence-pair one (choose from ${
          sentencePairDatasets().join(", ")
        })`,
      );
    }
    if (benchmarks.indexOf(b) !== i) throw new UsageError("parse --benchmarks", `"${b}" is listed twice`);
  }
}

/** Columns of `sts.csv`. */
export const STS_SCHEMA: CsvSchema = [
  { name: "model", type: "string", description: "model reference as given to --model" },
  { name: "benchmark", type: "string", description: "sentence-pair dataset (stsb, sick)" },
  {
    name: "split",
    type: "string",
    description: "split as given to --split (dev = the registry's validation)",
  },
  {
    name: "method",
    type: "string",
    description:
      "activation: Σ|v_a v_b|/(‖v_a‖‖v_b‖) per layer (v = W ⊙ ∂y/∂W); hidden_mean / hidden_last: " +
      "cosine of mean-pooled (BOS left out) / last-token decoder-block outputs",
  },
  { name: "layers", type: "string", description: "layer range as written in --layers" },
  { name: "layer_first", type: "integer", description: "first layer of the range (0-based)" },
  { name: "layer_last", type: "integer", description: "last layer of the range (0-based, included)" },
  {
    name: "reduction",
    type: "string",
    description: "how per-layer similarities make the pair's score: sum (activation, as the paper) or mean",
  },
  {
    name: "spearman",
    type: "number",
    nullable: true,
    description:
      "Spearman's rho (average ranks for ties) of the range score with the gold score; empty when " +
      "undefined (constant scores, n < 3)",
  },
  {
    name: "p_value",
    type: "number",
    nullable: true,
    description: "two-sided p-value of rho from Student's t with n − 2 degrees of freedom",
  },
  { name: "n", type: "integer", description: "number of pairs" },
];

/** Columns of `sts_pairs.csv`. */
export const STS_PAIRS_SCHEMA: CsvSchema = [
  { name: "benchmark", type: "string", description: "sentence-pair dataset" },
  { name: "split", type: "string", description: "split as given to --split" },
  { name: "pair", type: "integer", description: "position of the pair in the seeded draw (0-based)" },
  {
    name: "id",
    type: "integer",
    description: "row of the pair in the split file (0-based; manifest example ids)",
  },
  { name: "gold", type: "number", description: "gold similarity (STS-B 0–5, SICK relatedness 1–5)" },
  { name: "layer", type: "integer", description: "decoder layer (0-based)" },
  { name: "activation", type: "number", description: "activation similarity of the pair at this layer" },
  {
    name: "hidden_mean",
    type: "number",
    description: "cosine of the mean-pooled hidden states (BOS left out)",
  },
  { name: "hidden_last", type: "number", description: "cosine of the last-token hidden states" },
];

/** Options of {@link runSts}. */
export interface StsOptions extends RunOptions {
  benchmarks: readonly string[];
  /** Split name or alias (dev, trial). */
  split: string;
  /** Pairs per benchmark. */
  samples: number;
  seed: number;
  /** `--layers` ranges, parsed by layer_ranges.ts's `parseLayerRangeSpecs`. */
  layers: readonly LayerRangeSpec[];
  /** Pairs per graph call (default 8). */
  batchPairs?: number;
}

/** What {@link runSts} returns. */
export interface StsRun {
  dir: string;
  rows: CsvRow[];
}

function checkPositive(flag: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new UsageError(`parse --${flag}`, `${n} is not a positive integer`);
  }
}

/** A benchmark ready to run: its loaded split, sampled ids, gold scores and tokenized pairs. */
interface PreparedBenchmark {
  name: string;
  loaded: LoadedSplit;
  ids: number[];
  gold: number[];
  pairs: TokenPair[];
}

/** The benchmark's name as the paper's `get_dataset` knows it (the sentence-pair datasets are stsb, sick). */
function stsName(name: string): "stsb" | "sick" {
  if (name === "stsb" || name === "sick") return name;
  throw new ActpatError(`draw the pairs of ${name}`, "the paper's draws know stsb and sick");
}

/** Samples and tokenizes the pairs of one benchmark (each sentence as is, with the tokenizer's BOS). */
async function prepareBenchmark(
  name: string,
  opts: StsOptions,
  model: LoadedModel,
): Promise<PreparedBenchmark> {
  const dataset = openDataset(name, opts.load);
  const split = resolveStsSplit(dataset, opts.split);
  const loaded = await dataset.split(split);
  const rows = loaded.docs.length;
  if (opts.samples > rows) {
    throw new ActpatError(
      `sample ${opts.samples} examples of ${name}/${split}`,
      `the split has ${rows} rows`,
    );
  }
  const ids = paperStsRows(stsName(name), rows, { times: opts.samples, seed: opts.seed });
  const sample = { ids, examples: ids.map((id) => ({ dataset: name, split, id, doc: loaded.docs[id] })) };
  const texts = sample.examples.map((e) => pairTexts(dataset, e));
  const max = model.config.maxPositionEmbeddings;
  const encode = (text: string, id: number) => {
    const ids = model.tokenizer.encode(text);
    if (ids.length === 0 || ids.length > max) {
      throw new ActpatError(
        `tokenize ${name}/${split} row ${id}`,
        `${ids.length} tokens (the model takes 1 to ${max})`,
      );
    }
    return ids;
  };
  return {
    name,
    loaded,
    ids: sample.ids,
    gold: texts.map((t) => t.score),
    pairs: texts.map((t, i) => ({ a: encode(t.a, sample.ids[i]), b: encode(t.b, sample.ids[i]) })),
  };
}

/**
 * Runs the experiment and writes `sts.csv`, `sts_pairs.csv` and `manifest.json` (model and dataset digests,
 * example ids, seed) into one run directory. Flags, model and data are checked before the directory is
 * made, so a bad flag leaves nothing behind. Per-benchmark similarities are a resumable stage.
 */
export async function runSts(opts: StsOptions): Promise<StsRun> {
  const specs = opts.layers;
  if (specs.length === 0) throw new UsageError("parse --layers", "no layer range given");
  checkBenchmarks(opts.benchmarks);
  checkPositive("samples", opts.samples);
  const batchPairs = opts.batchPairs ?? 8;
  checkPositive("batch", batchPairs);
  if (!Number.isSafeInteger(opts.seed) || opts.seed < 0) {
    throw new UsageError("parse --seed", `${opts.seed} is not a non-negative integer`);
  }
  for (const b of opts.benchmarks) resolveStsSplit(openDataset(b, opts.load), opts.split);
  const model = await loadModel(opts.model, {
    ...opts.modelLoad,
    tokenizer: opts.tokenizer,
    allowNonfinite: opts.allowNonfinite ?? false,
  });
  const ranges = resolveLayerRanges(specs, model.config.numLayers);
  const layers = unionLayers(ranges);
  const benchmarks: PreparedBenchmark[] = [];
  for (const b of opts.benchmarks) benchmarks.push(await prepareBenchmark(b, opts, model));

  const { engine } = opts;
  const config: Record<string, unknown> = {
    model: opts.model,
    tokenizer: opts.tokenizer ?? null,
    benchmarks: [...opts.benchmarks],
    split: opts.split,
    samples: opts.samples,
    seed: opts.seed,
    layers: specs.map((s) => s.text),
    ranges,
    numLayers: model.config.numLayers,
    batchPairs,
    dtype: engine.dtype,
    threads: engine.threads ?? null,
  };
  return await experimentRun(
    { ...opts, command: "sts", config, seed: opts.seed, loaded: model },
    async ({ run }) => {
      const runner = new LlamaRunner(model, engine);
      const stsRows: CsvRow[] = [];
      const pairRows: CsvRow[] = [];
      try {
        for (const bench of benchmarks) {
          await run.recordDataset(
            datasetRecord(bench.loaded, {
              examples: {
                seed: opts.seed,
                generator: bench.name === "stsb" ? "first-rows" : "python-random",
                ids: bench.ids,
              },
            }),
          );
          const inputs = contentHash({
            weights: model.files.map((f) => f.sha256),
            config: model.config,
            data: bench.loaded.files.map((f) => f.sha256),
            ids: bench.ids,
            pairs: bench.pairs,
            layers,
            batchPairs,
            ep: engine.ep,
            dtype: engine.dtype,
          });
          const sims = await runStage(
            run,
            `pairs.${bench.name}`,
            inputs,
            () =>
              pairSimilarities(runner, bench.pairs, {
                layers,
                batchPairs,
                bosTokenId: model.tokenizer.bosTokenId,
                progressLabel: opts.quiet ? undefined : `sts ${bench.name}`,
              }),
          );
          for (const c of stsCorrelations(sims, bench.gold, ranges)) {
            stsRows.push({
              model: opts.model,
              benchmark: bench.name,
              split: opts.split,
              method: c.method,
              layers: c.range.label,
              layer_first: c.range.first,
              layer_last: c.range.last,
              reduction: c.reduction,
              spearman: Number.isNaN(c.spearman) ? null : c.spearman,
              p_value: Number.isNaN(c.pValue) ? null : c.pValue,
              n: c.n,
            });
          }
          bench.ids.forEach((id, p) => {
            sims.layers.forEach((layer, k) => {
              pairRows.push({
                benchmark: bench.name,
                split: opts.split,
                pair: p,
                id,
                gold: bench.gold[p],
                layer,
                activation: sims.activation[p][k],
                hidden_mean: sims.hidden_mean[p][k],
                hidden_last: sims.hidden_last[p][k],
              });
            });
          });
        }
      } finally {
        await runner.release();
      }
      await run.writeCsv(
        "sts.csv",
        STS_SCHEMA,
        stsRows,
        "Spearman correlation of each similarity measure's layer-range score with the gold scores (paper Table 3)",
      );
      await run.writeCsv(
        "sts_pairs.csv",
        STS_PAIRS_SCHEMA,
        pairRows,
        "Per pair and layer: gold score, activation similarity and hidden-state cosine baselines",
      );
      return { dir: run.path, rows: stsRows };
    },
  );
}
