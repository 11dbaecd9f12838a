/**
 * The massive-activations experiment (Sun et al. 2024, "Massive Activations in Large Language Models";
 * peer code locuslab/massive-activations `main_llm.py` exp2 and exp3), one run directory:
 *
 * 1. `massive.csv`: per decoder layer, the top-3 and median magnitudes of the residual stream after the
 *    block, averaged over `sequences` seeded random windows of the corpus;
 * 2. `massive_locations.csv`: where the largest activations sit (dimension, position, token) and how
 *    constant their value is across sequences;
 * 3. `intervention.csv`: perplexity untouched and with the massive activations set to zero or to their
 *    mean, by one of two rules (`intervention`): `threshold` (the first layer that has massive activations,
 *    every above-threshold entry of its massive dimensions anywhere; WikiText-2 and every corpus given, Wanda's
 *    loaders) or `paper` (the reference's hook.py: layer index 1, the first token and the top token, its
 *    hard-coded means; WikiText-2, c4-10k and PG-19 read as the reference's lib/load_data.py reads them);
 * 4. `massive_features.csv`: the paper's signature figure, one prompt's residual stream after one layer over
 *    tokens × dimensions (features.ts);
 * 5. `attention_mass.csv`: per layer and head, the attention probability mass on the massive-activation tokens
 *    of the analysed sequences (attention_mass.ts);
 * 6. `summary.json`: `massive: "none"` or `"found"`, the first layer, the rule, sites and means used.
 *
 * A model without massive activations gets the statistics and the untouched perplexity only; nothing is
 * made up for it.
 */
import { LlamaRunner } from "../../model/llama/llama_runner.ts";
import { contentHash } from "../../results/content_hash.ts";
import { datasetRecord } from "../../results/manifest.ts";
import { runStage } from "../../results/run_dir.ts";
import type { LoadOptions } from "../../data/mod.ts";
import { ActpatError, UsageError } from "../../util/errors.ts";
import { progress } from "../../util/progress.ts";
import { collectHiddenStats, TOP_K } from "./analysis.ts";
import {
  analysisSequences,
  type Corpus,
  corpusAvailability,
  type CorpusProtocol,
  corpusRecipe,
  loadCorpus,
  perplexityTokens,
  REFERENCE_CORPORA,
} from "./corpus.ts";
import {
  type AttentionMassRow,
  attentionMassRows,
  attentionTokens,
  type TokenSet,
} from "./attention_mass.ts";
import { FEATURE_PROMPT, featureEntries, type FeatureEntry, residualAt } from "./features.ts";
import { type PaperPlan, paperPlan, REFERENCE_LAYER } from "./paper_intervention.ts";
import type { MassiveCriterion } from "./hidden_stats.ts";
import { type InterventionPlan, interventionPlan } from "./intervention.ts";
import { interventionPerplexity, type SettingPerplexity } from "./intervention_perplexity.ts";
import {
  firstMassiveLayer,
  layerSummaries,
  type LayerSummary,
  locationSummaries,
  type LocationSummary,
} from "./summary.ts";
import {
  ATTENTION_COLUMNS,
  attentionRows,
  FEATURE_COLUMNS,
  featureRows,
  INTERVENTION_COLUMNS,
  interventionRows,
  LOCATION_COLUMNS,
  locationRows,
  MASSIVE_COLUMNS,
  massiveRows,
  tokenLabel,
} from "./tables.ts";
import { experimentRun, type RunOptions } from "../experiment_run.ts";

/** Massive entries kept per sequence and layer for locations and means (all are counted). */
const MAX_MASSIVE = 64;

/** Options of {@link runMassive}. */
export interface MassiveOptions extends RunOptions {
  /** Analysis sequences (paper: 10). */
  sequences: number;
  seqLen: number;
  /** Corpora: the first gives the analysis sequences; perplexity on wikitext2 and all of them. */
  corpora: string[];
  seed: number;
  criterion: MassiveCriterion;
  /** Start every analysis sequence with BOS. */
  bos?: boolean;
  /** Sequences or windows per forward pass (default 1). */
  batch?: number;
  /** Score at most this many perplexity windows per corpus (default all). */
  pplWindows?: number;
  /** Split per corpus replacing its recipe's (e.g. an embedded piece: `{ wikitext2: "test-first200" }`). */
  splits?: Readonly<Record<string, string>>;
  /**
   * Which intervention (default "threshold"): "paper" is the reference's hook.py (paper_intervention.ts) with
   * the reference's perplexity corpora; "threshold" the first massive layer's above-threshold entries.
   */
  intervention?: "threshold" | "paper";
  /** The prompt of the signature figure (default the reference's, {@link FEATURE_PROMPT}). */
  featurePrompt?: string;
  /** The layer (0-based) of the signature figure (default 1, the reference's `--layer_id 2`). */
  featureLayer?: number;
  /** Measure the attention mass on the massive-activation tokens (default true). */
  attention?: boolean;
  /** stdout lines (default console.log). */
  log?: (line: string) => void;
}

/** What the run found (also `summary.json`). */
export interface MassiveSummary {
  massive: "none" | "found";
  criterion: MassiveCriterion;
  sequences: number;
  seqLen: number;
  /** First layer with a massive activation in any sequence, or null. */
  firstLayer: number | null;
  /** Layer with the largest averaged top1 / median, and that ratio. */
  largestRatio: { layer: number; ratio: number };
  /** The intervention rule and its plan (null: nothing to intervene on). */
  intervention: "threshold" | "paper";
  plan: InterventionPlan | PaperPlan | null;
  /** Which tokens `attention_mass.csv` measures the mass to, or null when not measured. */
  attentionTokens: TokenSet | null;
  perplexity: Record<string, Record<string, number>>;
  skipped: { corpus: string; reason: string }[];
  dir: string;
}

interface AnalysisResult {
  layers: LayerSummary[];
  locations: LocationSummary[];
  firstLayer: number | null;
  plan: InterventionPlan | PaperPlan | null;
  attention: AttentionMassRow[] | null;
}

/** Runs the experiment and writes its run directory. */
export async function runMassive(options: MassiveOptions): Promise<MassiveSummary> {
  const log = options.log ?? ((line: string) => console.log(line));
  checkOptions(options);
  const primary = options.corpora[0];
  const rule = options.intervention ?? "threshold";
  const protocol: CorpusProtocol = rule === "paper" ? "reference" : "wanda";
  const pplCorpora = [
    ...new Set([...(rule === "paper" ? REFERENCE_CORPORA : ["wikitext2"]), ...options.corpora]),
  ];
  const featurePrompt = options.featurePrompt ?? FEATURE_PROMPT;
  const featureLayer = options.featureLayer ?? REFERENCE_LAYER;
  const attention = options.attention ?? true;
  const config = {
    model: options.model,
    tokenizer: options.tokenizer ?? null,
    sequences: options.sequences,
    seqLen: options.seqLen,
    corpus: primary,
    pplCorpora,
    seed: options.seed,
    criterion: options.criterion,
    bos: options.bos ?? false,
    batch: options.batch ?? 1,
    pplWindows: options.pplWindows ?? null,
    intervention: rule,
    corpusProtocol: protocol,
    featurePrompt,
    featureLayer,
    attention,
    topK: TOP_K,
    maxMassive: MAX_MASSIVE,
    dtype: options.engine.dtype,
    threads: options.engine.threads ?? null,
  };
  const spec = { ...options, argv: options.argv ?? [], command: "massive", config, seed: options.seed };
  return await experimentRun(spec, async ({ run, model }) => {
    const modelHash = contentHash({ files: model.files.map((f) => f.sha256), config: model.config });
    const runner = new LlamaRunner(model, options.engine);
    try {
      const corpus = await loadCorpus(
        primary,
        model.tokenizer,
        options.seqLen,
        options.load,
        options.splits?.[primary],
      );
      const bos = options.bos ? model.tokenizer.bosTokenId : null;
      if (options.bos && bos === null) {
        throw new UsageError("parse --bos", `the tokenizer of ${options.model} has no BOS token`);
      }
      const { sequences, starts } = analysisSequences(corpus, {
        sequences: options.sequences,
        seqLen: options.seqLen,
        seed: options.seed,
        bos,
      });
      await run.recordDataset(
        datasetRecord(corpus.loaded, { windows: { seed: options.seed, seqLen: options.seqLen, starts } }),
      );
      log(
        `massive: ${options.model}, ${model.config.numLayers} layers × ${model.config.hiddenSize} dims; ` +
          `${sequences.length} sequences of ${options.seqLen} tokens from ${primary} (seed ${options.seed})`,
      );

      const analysis = await runStage<AnalysisResult>(
        run,
        "analysis",
        contentHash({ modelHash, config, data: corpus.loaded.files.map((f) => f.sha256), sequences }),
        async () => {
          const bar = progress("hidden states", sequences.length, { unit: "seq", quiet: options.quiet });
          const keyMass: (Float32Array | Float64Array)[][] = sequences.map(() => []);
          const stats = await collectHiddenStats(runner, sequences, {
            criterion: options.criterion,
            batch: options.batch,
            maxMassive: MAX_MASSIVE,
            progress: bar,
            ...(attention ? { onAttention: (i, l, km) => keyMass[i][l] = Float32Array.from(km) } : {}),
          });
          bar.done();
          const firstLayer = firstMassiveLayer(stats);
          const plan = rule === "paper"
            ? paperPlan(options.model, stats, model.config.numLayers)
            : firstLayer === null
            ? null
            : interventionPlan(stats, firstLayer, options.criterion);
          return {
            layers: layerSummaries(stats),
            locations: locationSummaries(stats, sequences),
            firstLayer,
            plan,
            attention: attention
              ? attentionMassRows(keyMass, attentionTokens(stats), model.config.numHeads)
              : null,
          };
        },
      );
      const label = (id: number) => tokenLabel(model.tokenizer, id);
      const verdict = describe(analysis, options);
      await run.writeCsv(
        "massive.csv",
        MASSIVE_COLUMNS,
        massiveRows(analysis.layers),
        `Top-3 and median |activation| of the residual stream after each decoder block, mean over ` +
          `${sequences.length} sequences; ${verdict.note}`,
      );
      await run.writeCsv(
        "massive_locations.csv",
        LOCATION_COLUMNS,
        locationRows(analysis.locations, label),
        "Sites (layer, dimension, first token or token) of the top-3 and massive activations of every sequence",
      );
      const features = await runStage<{ ids: number[]; entries: FeatureEntry[] }>(
        run,
        "features",
        contentHash({ modelHash, config }),
        async () => {
          const ids = model.tokenizer.encode(featurePrompt, { addBos: false });
          const data = await residualAt(runner, ids, featureLayer);
          return { ids, entries: featureEntries(data, ids, model.config.hiddenSize, options.criterion) };
        },
      );
      await run.writeCsv(
        "massive_features.csv",
        FEATURE_COLUMNS,
        featureRows(featureLayer, features.entries, label),
        `Residual stream after layer ${featureLayer} for the prompt ${JSON.stringify(featurePrompt)} ` +
          `(${features.ids.length} tokens, no BOS), every token × dimension`,
      );
      if (analysis.attention) {
        const set = analysis.attention[0]?.tokenSet;
        await run.writeCsv(
          "attention_mass.csv",
          ATTENTION_COLUMNS,
          attentionRows(analysis.attention),
          `Attention probability mass on the ${
            set === "massive"
              ? "massive-activation tokens"
              : "token of the largest activation (massive: none)"
          } per layer and head, mean over query positions and ${sequences.length} sequences`,
        );
      }
      for (const line of verdict.lines) log(line);
      for (const l of analysis.layers) {
        log(
          `  layer ${l.layer}: top1 ${fmt(l.top1)} top2 ${fmt(l.top2)} top3 ${fmt(l.top3)} ` +
            `median ${fmt(l.median)} ratio ${fmt(l.ratio)}` +
            (l.massiveSequences > 0 ? ` massive in ${l.massiveSequences}/${sequences.length}` : ""),
        );
      }

      const rows = [];
      const perplexityByCorpus: MassiveSummary["perplexity"] = {};
      const skipped: MassiveSummary["skipped"] = [];
      for (const name of pplCorpora) {
        let pplCorpus: Corpus;
        if (name === primary) pplCorpus = corpus;
        else {
          const reason = await unavailable(name, options.load, options.splits?.[name], protocol);
          if (reason) {
            skipped.push({ corpus: name, reason });
            log(`skip perplexity on ${name}: ${reason}`);
            continue;
          }
          try {
            pplCorpus = await loadCorpus(
              name,
              model.tokenizer,
              options.seqLen,
              options.load,
              options.splits?.[name],
              protocol,
            );
          } catch (err) {
            if (!(err instanceof ActpatError)) throw err;
            skipped.push({ corpus: name, reason: err.message });
            log(`skip perplexity on ${name}: ${err.message}`);
            continue;
          }
        }
        const windows = perplexityTokens(pplCorpus, options.pplWindows);
        const used = pplCorpus.windows.starts.slice(0, windows.length);
        if (name !== primary) {
          await run.recordDataset(
            datasetRecord(pplCorpus.loaded, {
              windows: { seed: null, seqLen: options.seqLen, starts: used },
            }),
          );
        }
        const results = await runStage<SettingPerplexity[]>(
          run,
          `ppl-${name}`,
          contentHash({
            modelHash,
            config,
            plan: analysis.plan,
            data: pplCorpus.loaded.files.map((f) => f.sha256),
            used,
          }),
          async () => {
            const bar = progress(`perplexity ${name}`, windows.length, { unit: "win", quiet: options.quiet });
            const r = await interventionPerplexity(runner, windows, analysis.plan, {
              batch: options.batch,
              progress: bar,
            });
            bar.done();
            return r;
          },
        );
        rows.push(...interventionRows(name, analysis.plan?.layer ?? null, results));
        perplexityByCorpus[name] = Object.fromEntries(results.map((r) => [r.setting, r.result.ppl]));
        for (const r of results) {
          log(
            `  ${name} ${r.setting.padEnd(8)} ppl ${fmt(r.result.ppl)} over ${r.result.tokens} tokens ` +
              `(${r.result.windows} windows)` +
              (r.setting === "original" ? "" : `, ${r.replaced} entries set`),
          );
        }
      }
      await run.writeCsv(
        "intervention.csv",
        INTERVENTION_COLUMNS,
        rows,
        analysis.plan
          ? `Perplexity untouched and with the massive activations after layer ${analysis.plan.layer} set to zero or ` +
            `their mean (--intervention ${rule})`
          : `Perplexity of the untouched model only: nothing to intervene on (--intervention ${rule})`,
      );
      const summary: MassiveSummary = {
        massive: analysis.firstLayer === null ? "none" : "found",
        criterion: options.criterion,
        sequences: sequences.length,
        seqLen: options.seqLen,
        firstLayer: analysis.firstLayer,
        largestRatio: verdict.largest,
        intervention: rule,
        plan: analysis.plan,
        attentionTokens: analysis.attention?.[0]?.tokenSet ?? null,
        perplexity: perplexityByCorpus,
        skipped,
        dir: run.path,
      };
      await run.writeJson("summary.json", summary, `massive: ${summary.massive}; ${verdict.note}`);
      log(`run directory: ${run.path}`);
      return summary;
    } finally {
      await runner.release();
    }
  });
}

/** The verdict lines for stdout and the note for the manifest. */
function describe(a: AnalysisResult, o: MassiveOptions) {
  const largest = a.layers.reduce(
    (best, l) => l.ratio > best.ratio ? { layer: l.layer, ratio: l.ratio } : best,
    {
      layer: a.layers[0].layer,
      ratio: a.layers[0].ratio,
    },
  );
  const rule = `|x| > ${o.criterion.absolute} and > ${o.criterion.ratio} × median`;
  if (a.firstLayer === null && a.plan === null) {
    const note = `massive: none (no activation with ${rule} in any layer of any sequence; ` +
      `largest top1/median ${fmt(largest.ratio)} at layer ${largest.layer})`;
    return {
      largest,
      note,
      lines: [note, "intervention skipped: only the untouched perplexity is measured"],
    };
  }
  const sites = [...new Set(a.plan?.sites.map((s) => s.dimension) ?? [])].join(", ");
  const where = a.firstLayer === null ? "none measured" : `first at layer ${a.firstLayer}`;
  const edit = a.plan ? `; intervention after layer ${a.plan.layer}, dimensions ${sites}` : "";
  const note = `massive: ${a.firstLayer === null ? "none" : "found"} (${rule}); ${where}${edit}`;
  return { largest, note, lines: [note] };
}

/** Why corpus `name` cannot be read, or null when it can (or may be downloaded). */
async function unavailable(
  name: string,
  data: LoadOptions | undefined,
  split: string | undefined,
  protocol: CorpusProtocol,
): Promise<string | null> {
  const where = await corpusAvailability(name, data, split, protocol);
  if (where === "unavailable") return "not in the mirror or the cache, and no download source";
  if (where === "downloadable" && data?.download === false) {
    return "not in the mirror or the cache, and downloads are off";
  }
  return null;
}

function checkOptions(o: MassiveOptions): void {
  const fail = (flag: string, detail: string) => new UsageError(`parse --${flag}`, detail);
  if (!Number.isInteger(o.sequences) || o.sequences < 1) {
    throw fail("sequences", `${o.sequences} is not a positive integer`);
  }
  if (!Number.isInteger(o.seqLen) || o.seqLen < 2) throw fail("seq-len", `${o.seqLen} is not an integer ≥ 2`);
  if (o.corpora.length === 0) throw fail("corpus", "no corpus given");
  for (const c of o.corpora) corpusRecipe(c);
  if (o.intervention !== undefined && o.intervention !== "threshold" && o.intervention !== "paper") {
    throw fail("intervention", `"${o.intervention}" is not threshold or paper`);
  }
  if (o.featureLayer !== undefined && !(Number.isInteger(o.featureLayer) && o.featureLayer >= 0)) {
    throw fail("feature-layer", `${o.featureLayer} is not an integer ≥ 0`);
  }
  if (o.featurePrompt !== undefined && o.featurePrompt.length === 0) {
    throw fail("feature-prompt", "empty prompt");
  }
  if (!(o.criterion.absolute >= 0)) throw fail("absolute", `${o.criterion.absolute} is not a number ≥ 0`);
  if (!(o.criterion.ratio >= 0)) throw fail("ratio", `${o.criterion.ratio} is not a number ≥ 0`);
}

function fmt(x: number): string {
  return Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(3) : x.toPrecision(4);
}
