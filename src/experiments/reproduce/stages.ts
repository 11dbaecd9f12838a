/**
 * The registry of experiments that `deno task reproduce` runs, in the paper's order: each entry names its
 * stage, the schema of its config section (the experiment's own settings schema), what else of the config it
 * reads (so its stage hash changes when that does), and how it runs given the config and the datasets that can
 * be had.
 */
import type { z } from "zod";
import type { LoadOptions } from "../../data/mod.ts";
import type { EngineOptions } from "../engine_options.ts";
import { parseLayerRangeSpec, parseLayerRangeSpecs } from "../layer_ranges.ts";
import { DensitySettings, parseGamma, runDensity } from "../density/mod.ts";
import {
  parsePairs,
  relevancePairs,
  RelevanceSettings,
  runRelevance,
  runSimilarity,
  SimilaritySettings,
} from "../similarity/mod.ts";
import { defaultCalibrationSplit, defaultPruneConfig, paperListFor, parseCalibration } from "../prune/mod.ts";
import { defaultEvalConfig } from "../eval/mod.ts";
import {
  runTable1,
  runTransfer,
  Table1Settings,
  type Table1Variant,
  table1Variants,
  TransferSettings,
} from "../prune_eval/mod.ts";
import { runSts, StsSettings } from "../sts/mod.ts";
import { MassiveSettings, runMassive } from "../massive/mod.ts";
import type { ReproduceConfig } from "./config.ts";
import {
  calibrationSource,
  evalSettings,
  rangeWithLayers,
  rowSparsities,
  sampleDraw,
  stsRows,
} from "./resolved_settings.ts";

/** What a stage runs with: the config, the run options every experiment takes, and the dataset probes. */
export interface StageContext {
  config: ReproduceConfig;
  /** Model, tokenizer, argv, quiet: the run options of the stage's experiment (each run names its `out`). */
  base: {
    model: string;
    tokenizer?: string;
    argv?: string[];
    quiet?: boolean;
    force?: boolean;
    allowNonfinite?: boolean;
  };
  engine: EngineOptions;
  load: LoadOptions;
  /** The model's depth when its config can be read without loading or downloading anything, else null. */
  numLayers: number | null;
  log: (line: string) => void;
  /** The split activation samples of dataset `name` are drawn from (the config's, else the paper's). */
  sampleSplit(name: string): string;
  /** The datasets of `names` that can be had (in their sample split); the others are reported as skipped. */
  available(names: readonly string[]): Promise<string[]>;
  /** Why `name`/`split` cannot be had, or null. */
  probe(name: string, split: string): Promise<string | null>;
}

/** A piece of a stage that runs as a cell of its own (a Table 1 row, a calibration set of Table 2). */
export interface StagePart {
  /** Unique within the stage; the cell is `<stage>.<name>`. */
  name: string;
  /** Its settings, resolved (what `reproduce --plan` prints). */
  resolved: Record<string, unknown>;
  /** Runs the part as an experiment run of its own in `out`; its inner stage record is what the stage reuses. */
  run(out: string): Promise<unknown>;
}

/** A stage ready to run: what its hash covers besides its config section, and the run itself. */
export interface StagePlan {
  /** Replaces entries of the section in the hash (e.g. the datasets left after probing). */
  inputs?: Record<string, unknown>;
  /** The settings it runs with, resolved from the config and the model's depth (what `--plan` prints). */
  resolved: Record<string, unknown>;
  /** Independent parts, each a cell; the stage itself then assembles their stored results. */
  parts?: StagePart[];
  /** Runs the whole stage into `out`; with parts, taking the stage records of their folders `parts`. */
  run(out: string, parts: readonly string[]): Promise<unknown>;
}

/** The parts of the config outside its own section that a stage reads. */
export type SharedInput = "splits" | "density";

/** One experiment of the reproduction. */
export interface ReproduceExperiment<N extends string, S> {
  name: N;
  /** Its sub-directory of the run directory. */
  dir: string;
  /** Schema of its config section. */
  schema: z.ZodType<S>;
  reads: readonly SharedInput[];
  /** How it runs with `settings`, or why it cannot (a dataset it needs cannot be had). */
  plan(settings: S, ctx: StageContext): Promise<StagePlan | string>;
}

function experiment<N extends string, S>(e: ReproduceExperiment<N, S>): ReproduceExperiment<N, S> {
  return e;
}

/** The activation settings of the pair experiments: those of the density stage, half its batch (pairs). */
function pairSettings(samples: number, ctx: StageContext) {
  const { config } = ctx;
  const d = config.density;
  return {
    samples,
    maxLen: d?.maxLen ?? 256,
    shots: d?.shots ?? 0,
    seed: config.activationSeed,
    batchSize: Math.max(1, Math.floor((d?.batchSize ?? 8) / 2)),
    ...(d?.layerGroup ? { layerGroup: d.layerGroup } : {}),
    splits: config.splits,
    engine: ctx.engine,
    quiet: ctx.base.quiet,
    load: ctx.load,
  };
}

/** The experiments in the order they run. */
export const REPRODUCE_EXPERIMENTS = [
  experiment({
    name: "density",
    dir: "01-density",
    schema: DensitySettings,
    reads: ["splits"],
    async plan(c, ctx) {
      const datasets = await ctx.available(c.datasets);
      if (datasets.length === 0) return "none of its datasets can be had";
      return {
        inputs: { datasets },
        resolved: {
          datasets,
          gamma: c.gamma,
          gammas: c.gammas,
          ...sampleDraw(ctx, c.samples, [datasets]),
          maxLen: c.maxLen,
          shots: c.shots,
        },
        run: (out) =>
          runDensity({
            ...ctx.base,
            out,
            datasets,
            samples: c.samples,
            maxLen: c.maxLen,
            shots: c.shots,
            gamma: parseGamma(c.gamma),
            gammas: c.gammas.map((g) => ({ gamma: parseGamma(g.gamma), source: g.source })),
            seed: ctx.config.activationSeed,
            batchSize: c.batchSize,
            ...(c.layerGroup ? { layerGroup: c.layerGroup } : {}),
            splits: ctx.config.splits,
            engine: ctx.engine,
            keepSumsBytes: 0,
            load: ctx.load,
          }),
      };
    },
  }),
  experiment({
    name: "similarity",
    dir: "02-similarity",
    schema: SimilaritySettings,
    reads: ["splits", "density"],
    async plan(c, ctx) {
      const names = [...new Set(c.pairs.flatMap((p) => p.split(":")))];
      const ok = new Set(await ctx.available(names));
      const pairs = parsePairs(c.pairs.join(",")).filter(([a, b]) => ok.has(a) && ok.has(b));
      if (pairs.length === 0) return "none of its dataset pairs can be had";
      return {
        inputs: { pairs },
        resolved: { pairs: pairs.map((p) => p.join(":")), ...sampleDraw(ctx, c.samples, pairs) },
        run: (out) => runSimilarity({ ...ctx.base, out, pairs, ...pairSettings(c.samples, ctx) }),
      };
    },
  }),
  experiment({
    name: "relevance",
    dir: "03-relevance",
    schema: RelevanceSettings,
    reads: ["splits", "density"],
    async plan(c, ctx) {
      const datasets = await ctx.available(c.datasets);
      if (datasets.length < 2) return "fewer than two of its datasets can be had";
      return {
        inputs: { datasets },
        resolved: {
          datasets,
          layers: c.layers ? rangeWithLayers(c.layers, ctx.numLayers) : "the deep half (relevance's default)",
          ...sampleDraw(ctx, c.samples, relevancePairs(datasets)),
        },
        run: (out) =>
          runRelevance({
            ...ctx.base,
            out,
            datasets,
            ...(c.layers ? { layers: parseLayerRangeSpec(c.layers) } : {}),
            ...pairSettings(c.samples, ctx),
          }),
      };
    },
  }),
  experiment({
    name: "table1",
    dir: "04-table1",
    schema: Table1Settings,
    reads: ["splits"],
    async plan(c, ctx) {
      const calibration = parseCalibration(c.calibration);
      const split = calibration.split ?? defaultCalibrationSplit(calibration.dataset);
      const reason = await ctx.probe(calibration.dataset, split);
      if (reason !== null) {
        return `calibration set ${calibration.dataset} (${split}) cannot be had: ${reason}`;
      }
      const list = c.paperList ?? paperListFor(ctx.base.model);
      const table1 = (out: string, variants?: string[], parts: readonly string[] = []) =>
        runTable1({
          ...ctx.base,
          out,
          stagesFrom: parts,
          ...(variants ? { variants } : {}),
          prune: defaultPruneConfig({
            sparsity: c.sparsity,
            calibration,
            nsamples: c.nsamples,
            seqLen: c.seqLen,
            seed: ctx.config.seed,
            paperList: c.paperList,
            activation: {
              ...defaultPruneConfig().activation,
              gamma: parseGamma(c.gamma),
              alpha: c.alpha,
              beta: c.beta,
            },
          }),
          eval: defaultEvalConfig({
            tasks: c.tasks,
            limit: c.limit,
            scoring: c.scoring,
            seqLen: c.seqLen,
            splits: ctx.config.splits,
          }),
          engine: ctx.engine,
          load: ctx.load,
        });
      const calib = calibrationSource(c.calibration, c.nsamples, c.seqLen, ctx.config.seed);
      return {
        resolved: { sparsity: c.sparsity, calibration: calib, eval: evalSettings(c, ctx) },
        parts: table1Variants(list).map((v) => ({
          name: v.label,
          resolved: {
            method: v.method,
            allocation: v.allocation,
            ...(v.allocation === "paper-lists" ? { paperList: list } : {}),
            layerSparsity: rowSparsities(v, c, list, ctx.numLayers),
            calibration: v.method === "wanda" || v.allocation === "owl" ? calib.dataset : "none",
          },
          run: (out: string) => table1(out, [v.label]),
        })),
        run: (out, parts) => table1(out, undefined, parts),
      };
    },
  }),
  experiment({
    name: "transfer",
    dir: "05-transfer",
    schema: TransferSettings,
    reads: ["splits"],
    plan(c, ctx) {
      const list = c.paperList ?? paperListFor(ctx.base.model);
      const transfer = (out: string, calibrations: string[], parts: readonly string[] = []) =>
        runTransfer({
          ...ctx.base,
          out,
          stagesFrom: parts,
          calibrations: calibrations.map(parseCalibration),
          prune: defaultPruneConfig({
            allocation: c.allocation,
            paperList: c.paperList,
            sparsity: c.sparsity,
            nsamples: c.nsamples,
            seqLen: c.seqLen,
            seed: ctx.config.seed,
          }),
          eval: defaultEvalConfig({
            tasks: c.tasks,
            limit: c.limit,
            scoring: c.scoring,
            seqLen: c.seqLen,
            splits: ctx.config.splits,
          }),
          engine: ctx.engine,
          load: ctx.load,
        });
      const row: Table1Variant = { label: "transfer", method: "wanda", allocation: c.allocation };
      // Transfer prunes with the default activation settings (defaultPruneConfig), each on its own calibration.
      const act = defaultPruneConfig().activation;
      const formula = {
        ...c,
        alpha: act.alpha,
        beta: act.beta,
        gamma: act.gamma.text,
        calibration: "each cell's",
      };
      return Promise.resolve({
        resolved: {
          sparsity: c.sparsity,
          method: "wanda",
          allocation: c.allocation,
          layerSparsity: rowSparsities(row, formula, list, ctx.numLayers),
          eval: evalSettings(c, ctx),
        },
        parts: c.calibrations.map((text) => ({
          // The part's name is the inner stage's (`transfer.c4-train`), as transfer.ts names it.
          name: text.replace(":", "-"),
          resolved: { calibration: calibrationSource(text, c.nsamples, c.seqLen, ctx.config.seed) },
          run: (out: string) => transfer(out, [text]),
        })),
        run: (out, parts) => transfer(out, c.calibrations, parts),
      });
    },
  }),
  experiment({
    name: "sts",
    dir: "06-sts",
    schema: StsSettings,
    reads: [],
    plan(c, ctx) {
      return Promise.resolve({
        resolved: {
          benchmarks: c.benchmarks,
          split: c.split,
          pairs: c.samples,
          rows: stsRows(ctx, c),
          seed: ctx.config.activationSeed,
          ranges: c.layers.map((l) => rangeWithLayers(l, ctx.numLayers)),
        },
        run: (out) =>
          runSts({
            ...ctx.base,
            out,
            benchmarks: c.benchmarks,
            split: c.split,
            samples: c.samples,
            seed: ctx.config.activationSeed,
            layers: parseLayerRangeSpecs(c.layers),
            engine: ctx.engine,
            load: ctx.load,
          }),
      });
    },
  }),
  experiment({
    name: "massive",
    dir: "07-massive",
    schema: MassiveSettings,
    reads: ["splits"],
    plan(c, ctx) {
      return Promise.resolve({
        resolved: {
          corpora: c.corpora,
          sequences: c.sequences,
          seqLen: c.seqLen,
          criterion: { absolute: c.absolute, ratio: c.ratio },
          intervention: c.intervention,
          pplWindows: c.pplWindows ?? "massive's default",
          seed: ctx.config.seed,
        },
        run: (out) =>
          runMassive({
            ...ctx.base,
            out,
            sequences: c.sequences,
            seqLen: c.seqLen,
            corpora: c.corpora,
            seed: ctx.config.seed,
            criterion: { absolute: c.absolute, ratio: c.ratio },
            ...(c.pplWindows ? { pplWindows: c.pplWindows } : {}),
            intervention: c.intervention,
            engine: ctx.engine,
            load: ctx.load,
            splits: ctx.config.splits,
            log: ctx.log,
          }),
      });
    },
  }),
] as const;

/** A stage's name. */
export type ReproduceStage = typeof REPRODUCE_EXPERIMENTS[number]["name"];
