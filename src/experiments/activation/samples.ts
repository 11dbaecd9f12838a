/**
 * The inputs s of the activation experiments (density, similarity, relevance), as the paper's code builds
 * them (Qian2333/Exploring-Activation-Patterns-of-Parameters-in-Language-Models @93503116):
 *  - prompt datasets: `get_dataset(name, tokenizer, nsample)` (lib/dataset/__init__.py) shuffles the split's
 *    row indices and keeps the first nsample, then tokenizes `gen_prompt` with BOS (`tokenizer(prompt)`),
 *    untruncated; the rows are drawn with Python's `random` bit for bit (src/data `sampleExamples`), GSM8K's
 *    demo order per prompt after them (src/data `paperDatasetDraw`'s `gsm8k`). The loaders of
 *    boolq, mmlu, siqa, piqa, hellaswag and humaneval ignore `shot` and `max_len` (only gsm8k takes `shot`), so
 *    the paper's `shot=3` (distribution_draw.py) changes nothing for them: `shots` defaults to 0 here and, when
 *    given, prepends shots as src/data's `promptText` builds them.
 *  - c4: `get_c4_nlabel` — a document drawn until it is longer than 256 tokens, then a random 256-token window
 *    (src/data `calibrationWindows`); wikitext2: `get_wikitext2_nlabel` — the train split's rows joined with
 *    " ", tokenized once, random 256-token windows (src/data `wandaWindows`). `maxLen` is that window length.
 *
 * The scripts draw every dataset from one global `random` seeded once (src/data/paper_runs.ts): pass the
 * same `rng` for datasets a script loads in turn (density: all its datasets in order, so the paper's five
 * give `paperDensityRows`; similarity: the two sides of a pair, `paperSimilarityDraws`).
 */
import {
  calibrationWindows,
  type DatasetHandle,
  type LoadedSplit,
  type LoadOptions,
  openDataset,
  promptText,
  PythonRandom,
  sampleExamples,
  sampleSplitOf,
  type TokenEncoder,
  wandaWindows,
  windowTokens,
} from "../../data/mod.ts";
import { contentHash } from "../../results/content_hash.ts";
import { type DatasetRecord, datasetRecord } from "../../results/manifest.ts";
import type { RunDir } from "../../results/run_dir.ts";
import { ActpatError } from "../../util/errors.ts";

/** One input: its dataset, a stable id (row id, or `doc:start` / `@start` of a corpus window) and its tokens. */
export interface ActivationSample {
  dataset: string;
  id: string;
  tokens: number[];
}

/** The samples of one dataset and the manifest records of the splits they came from. */
export interface DatasetSamples {
  dataset: string;
  split: string;
  samples: ActivationSample[];
  records: DatasetRecord[];
}

/** Options of {@link activationSamples}. */
export interface SampleOptions {
  count: number;
  /** `random.seed(seed)` of the script (recorded); the draws continue `rng` when it is given. */
  seed: number;
  /** The script's one generator, continued from the draws before (default: a fresh one seeded with `seed`). */
  rng?: PythonRandom;
  /** The draws `rng` made before this one (`dataset/split×count`), for the manifest. */
  after?: readonly string[];
  /** Few-shot examples prepended to prompts (default 0, as the paper's loaders); corpora ignore it. */
  shots?: number;
  /** Window length of corpus samples (the paper's 256). */
  maxLen: number;
  tokenizer: TokenEncoder;
  /** Split to draw from (default: the dataset's `sampleSplit`, else its first split). */
  split?: string;
  load?: LoadOptions;
}

/** The split {@link activationSamples} uses unless told otherwise ({@link sampleSplitOf}). */
export function defaultSampleSplit(handle: DatasetHandle): string {
  return sampleSplitOf(handle.spec);
}

/**
 * `count` seeded inputs of dataset `name`, in draw order; a larger `count` with the same seed extends a
 * smaller draw (so the first N of a 2N draw are the N-sample draw).
 */
export async function activationSamples(name: string, options: SampleOptions): Promise<DatasetSamples> {
  const handle = openDataset(name, options.load ?? {});
  const split = options.split ?? defaultSampleSplit(handle);
  const { count, seed, maxLen, tokenizer } = options;
  const shots = options.shots ?? 0;
  const action = `sample activation inputs of ${name}/${split}`;
  if (!Number.isInteger(count) || count < 1) {
    throw new ActpatError(action, `count ${count} is not a positive integer`);
  }
  const kind = handle.spec.kind;
  if (kind === "sentence-pair") {
    throw new ActpatError(action, "a sentence-pair dataset has two inputs per example (use deno task sts)");
  }
  const loaded = await handle.split(split);
  const rng = options.rng ?? new PythonRandom(seed);
  const drawn = { generator: "python-random" as const, after: [...(options.after ?? [])] };
  if (kind === "perplexity-corpus") {
    const texts = loaded.docs.map((d) => handle.spec.kind === "perplexity-corpus" ? handle.spec.text(d) : "");
    if (name === "c4") {
      const windows = calibrationWindows(texts, tokenizer, { nsamples: count, seqLen: maxLen, seed, rng });
      return {
        dataset: name,
        split,
        samples: windows.map((w) => ({ dataset: name, id: `${w.doc}:${w.start}`, tokens: w.tokens })),
        records: [datasetRecord(loaded, {
          windows: {
            seed,
            ...drawn,
            seqLen: maxLen,
            docs: windows.map((w) => w.doc),
            starts: windows.map((w) => w.start),
          },
        })],
      };
    }
    const ids = Int32Array.from(tokenizer.encode(texts.join(" "), { addBos: true }));
    const windows = wandaWindows(ids, { nsamples: count, seqLen: maxLen, seed, rng });
    return {
      dataset: name,
      split,
      samples: windows.starts.map((start, i) => ({
        dataset: name,
        id: `@${start}`,
        tokens: Array.from(windowTokens(windows, i)),
      })),
      records: [
        datasetRecord(loaded, { windows: { seed, ...drawn, seqLen: maxLen, starts: windows.starts } }),
      ],
    };
  }
  const rows = await sampleExamples(handle, split, { n: count, seed, rng });
  // gsm8k.py:167-170: each prompt, in use order, shuffles the eight demos again (drawn for shot 0 too).
  const demoOrders = name === "gsm8k"
    ? rows.ids.map(() => {
      const order = [0, 1, 2, 3, 4, 5, 6, 7];
      rng.shuffle(order);
      return order;
    })
    : [];
  const samples: ActivationSample[] = [];
  for (const [k, example] of rows.examples.entries()) {
    const text = await promptText(handle, example, { shots, demoOrder: demoOrders[k] });
    samples.push({ dataset: name, id: String(example.id), tokens: tokenizer.encode(text, { addBos: true }) });
  }
  const records = [datasetRecord(loaded, { examples: { seed, ...drawn, ids: rows.ids } })];
  const shotSplit = handle.spec.paper?.shotSplit;
  if (shots > 0 && shotSplit && shotSplit !== split) {
    // The shots come from another split: its files are inputs of the run too.
    records.push(datasetRecord(await handle.split(shotSplit) as LoadedSplit));
  }
  return { dataset: name, split, samples, records };
}

/** A dataset left out of a run, and why. */
export interface SkippedDataset {
  dataset: string;
  reason: string;
}

/**
 * Samples of every named dataset, drawn in turn from one generator seeded once with `seed`, as the paper's
 * scripts draw (distribution_draw.py: the density datasets in order; src/data/paper_runs.ts): a dataset's
 * draws continue those of the datasets before it. One whose split cannot be had (not in the mirror or cache, download failed)
 * is skipped: `skip <name>: <reason>` goes to stderr and the run's manifest config lists it under `skipped`.
 * Bad names, splits, counts and damaged files are errors, not skips.
 */
export async function loadSamplesOrSkip(
  run: RunDir,
  requests: readonly { dataset: string; count: number }[],
  options: Omit<SampleOptions, "count" | "split"> & {
    splits?: Readonly<Record<string, string>>;
    quiet?: boolean;
    /** The model's context (max position embeddings): longer inputs are counted, warned about, recorded. */
    maxPositions?: number;
  },
): Promise<{ samples: Map<string, DatasetSamples>; skipped: SkippedDataset[] }> {
  const samples = new Map<string, DatasetSamples>();
  const skipped: SkippedDataset[] = [];
  const rng = options.rng ?? new PythonRandom(options.seed);
  const after = [...(options.after ?? [])];
  for (const { dataset, count } of requests) {
    try {
      const split = options.splits?.[dataset];
      const got = await activationSamples(dataset, { ...options, count, split, rng, after });
      after.push(`${dataset}/${got.split}×${count}`);
      samples.set(dataset, got);
      for (const r of got.records) await run.recordDataset(r);
    } catch (err) {
      if (!isUnavailable(err)) throw err;
      skipped.push({ dataset, reason: err.message });
      if (!options.quiet) {
        console.error(`skip ${dataset}: ${err.message} (--split ${dataset}=SPLIT picks another split)`);
      }
    }
  }
  // Token lengths drive time and memory (prompts are not truncated, as in the paper): recorded per dataset.
  const sampleTokens = Object.fromEntries(
    [...samples].map(([name, d]) => {
      const lengths = d.samples.map((s) => s.tokens.length).sort((a, b) => a - b);
      return [name, {
        min: lengths[0],
        median: lengths[lengths.length >> 1],
        max: lengths[lengths.length - 1],
      }];
    }),
  );
  const context = options.maxPositions === undefined
    ? {}
    : { context: contextReport(samples, options.maxPositions, options.quiet) };
  run.manifest.config = { ...run.manifest.config, skipped, sampleTokens, ...context };
  await run.save();
  return { samples, skipped };
}

/**
 * {@link overLong} of `samples`, with a warning on stderr (unless `quiet`) naming the datasets that have
 * inputs beyond the model's `maxPositions`: what a run records as its manifest's `context`.
 */
export function contextReport(
  samples: ReadonlyMap<string, Pick<DatasetSamples, "samples">>,
  maxPositions: number,
  quiet = false,
): ReturnType<typeof overLong> {
  const report = overLong(samples, maxPositions);
  const long = Object.entries(report.overLong);
  if (long.length > 0 && !quiet) {
    console.error(
      `warning: inputs longer than the model's context (${maxPositions} positions) are fed whole, as ` +
        `the paper's loaders do: ${
          long.map(([d, o]) => `${d} ${o.samples} of ${o.of} (up to ${o.longest} tokens)`).join(", ")
        }`,
    );
  }
  return report;
}

/**
 * The inputs longer than `maxPositions` tokens, per dataset, for the manifest's `context`. The activation
 * experiments take y at the last position, so cutting the end of a prompt (the paper's `tokens[:, :max_len]`,
 * which its code applies to calibration sets only) would change what y is; prompts are fed whole, as the
 * paper's `get_dataset` loaders do, and the count says how many sit beyond the model's trained positions.
 */
export function overLong(
  samples: ReadonlyMap<string, Pick<DatasetSamples, "samples">>,
  maxPositions: number,
): {
  maxPositions: number;
  truncation: "none";
  overLong: Record<string, { samples: number; of: number; longest: number }>;
} {
  const out: Record<string, { samples: number; of: number; longest: number }> = {};
  for (const [name, d] of samples) {
    const long = d.samples.filter((s) => s.tokens.length > maxPositions);
    if (long.length > 0) {
      out[name] = {
        samples: long.length,
        of: d.samples.length,
        longest: Math.max(...long.map((s) => s.tokens.length)),
      };
    }
  }
  return { maxPositions, truncation: "none", overLong: out };
}

/**
 * Whether `err` says a split cannot be had (not in the mirror or cache, no download): such a dataset is
 * skipped; a damaged or malformed file stays an error.
 */
export function isUnavailable(err: unknown): err is ActpatError {
  return err instanceof ActpatError && /^Cannot load dataset .* is not in the mirror/.test(err.message);
}

/** Content hash of sample token sequences (stage inputs). */
export function samplesHash(samples: readonly { dataset: string; id: string; tokens: number[] }[]): string {
  return contentHash(samples.map((s) => [s.dataset, s.id, Int32Array.from(s.tokens)]));
}
