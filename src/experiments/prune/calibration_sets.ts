/**
 * Calibration sequences for pruning, by dataset name:
 *
 * - `c4`: Wanda's windows (locuslab/wanda lib/data.py `get_c4`): random documents longer than seqLen, a
 *   random window of each (`calibrationWindows` in src/data);
 * - `wikitext2`: the split's rows joined with " ", tokenized once, random windows (wanda `get_wikitext2`);
 * - multiple-choice tasks: the paper's `get_<task>_calibration` (Qian2333/Exploring-Activation-Patterns-of-
 *   Parameters-in-Language-Models lib/dataset/<task>.py @93503116): `nsamples` rows drawn at random, each
 *   prompt followed by further prompts joined with "\n###\n" until the text has seqLen tokens, then cut to
 *   seqLen. The fill prompts are the split's rows nsamples, nsamples + 1, ... in file order, one running
 *   counter for all windows, as in the paper's code. Three variants, per task (the dataset file's
 *   `calibration.style`, src/data/dataset_spec.ts `TaskCalibrationStyle`).
 *
 * The paper and Wanda draw with Python's `random`, and so do we, bit for bit (src/data/python_random.ts):
 * `c4` as `wandaC4Windows`, `wikitext2` as `wandaWikitextStarts`, tasks as `paperCalibrationRows`, each
 * seeded with `seed` (Wanda's and wanda_test.py's `--seed` 0). Over the same files and tokenizer the rows,
 * documents and starts equal the references'; every one used is returned.
 */
import {
  type CalibrationRole,
  calibrationWindows,
  type DatasetHandle,
  DATASETS,
  type LoadOptions,
  openDataset,
  sampleExamples,
  type TaskCalibrationStyle,
  type TokenEncoder,
  wandaWindows,
  windowTokens,
} from "../../data/mod.ts";
import { type DatasetRecord, datasetRecord } from "../../results/manifest.ts";
import { ActpatError, UsageError } from "../../util/errors.ts";
import { CalibrationUnbuildable } from "./calibration_unbuildable.ts";

/** A calibration set as given on the command line: `c4`, `wikitext2`, `boolq`, or `name:split`. */
export interface CalibrationSpec {
  dataset: string;
  /** Default: {@link defaultCalibrationSplit}. */
  split?: string;
}

/** Prompts the `prefill` style adds before it first checks the length (`while num_count < 100`). */
const PREFILL_PROMPTS = 100;
const SEPARATOR = "\n###\n";

/**
 * The dataset's calibration role (its file's `calibration`), or `Cannot calibrate on "x": ...` naming the
 * datasets that can calibrate.
 */
export function calibrationRole(dataset: string): CalibrationRole {
  const role = DATASETS.has(dataset) ? DATASETS.get(dataset).calibration : undefined;
  if (role) return role;
  const can = DATASETS.names().filter((n) => DATASETS.get(n).calibration);
  const tasks = can.filter((n) => DATASETS.get(n).calibration?.style);
  const corpora = can.filter((n) => !tasks.includes(n));
  throw new ActpatError(
    `calibrate on "${dataset}"`,
    `calibration sets are ${corpora.join(", ")} and the tasks ${tasks.join(", ")}`,
  );
}

/**
 * The split calibration reads by default, as the dataset file declares it: train everywhere (Wanda, the
 * paper), except MMLU: `auxiliary_train` (99,842 rows), as the paper's code (lib/dataset/mmlu.py line 76).
 */
export function defaultCalibrationSplit(dataset: string): string {
  return calibrationRole(dataset).split;
}

/** Parses `name` or `name:split`. */
export function parseCalibration(text: string): CalibrationSpec {
  const m = /^([\w-]+)(?::([\w-]+))?$/.exec(text.trim());
  if (!m) {
    throw new UsageError(
      "parse --calibration",
      `"${text}" is not a dataset name or name:split (e.g. boolq:validation)`,
    );
  }
  return m[2] ? { dataset: m[1], split: m[2] } : { dataset: m[1] };
}

/** Throws unless `dataset` can calibrate (its dataset file declares a calibration role). */
export function checkCalibrationDataset(dataset: string): void {
  calibrationRole(dataset);
}

/** `name` or `name:split` back to text. */
export function calibrationLabel(spec: CalibrationSpec): string {
  return spec.split ? `${spec.dataset}:${spec.split}` : spec.dataset;
}

/** Sampling options of a calibration set. */
export interface CalibrationOptions {
  nsamples: number;
  seqLen: number;
  seed: number;
  /** Dataset resolution (mirror, cache, downloads; `strictRows: false` only for test files). */
  load?: LoadOptions;
  /** No notice on stderr when the default split is replaced. */
  quiet?: boolean;
}

/** Calibration sequences and exactly where they came from. */
export interface CalibrationSet {
  dataset: string;
  split: string;
  /** How they were built: "wanda-c4", "wanda-wikitext2" or "paper-<style>". */
  procedure: string;
  sequences: number[][];
  /** For the run manifest: files with digests, and the windows (corpora) or drawn rows (tasks). */
  record: DatasetRecord;
  /** Tasks: rows [start, end) of the split used as fill prompts, in order. */
  fillRows?: [number, number];
  /** Set when the default split was not available and another was used. */
  note?: string;
}

/** Builds the calibration sequences of `spec` (each exactly `seqLen` tokens). */
export async function calibrationSet(
  spec: CalibrationSpec,
  tokenizer: TokenEncoder,
  options: CalibrationOptions,
): Promise<CalibrationSet> {
  const { nsamples, seqLen, seed } = options;
  checkCalibrationDataset(spec.dataset);
  if (!Number.isInteger(nsamples) || nsamples < 1) {
    throw new ActpatError("build calibration set", `nsamples ${nsamples} is not a positive integer`);
  }
  const dataset = openDataset(spec.dataset, options.load);
  const { split, note } = await calibrationSplit(dataset, spec.split);
  if (note && !options.quiet) console.error(note);
  const corpus = dataset.spec;
  const loaded = await dataset.split(split);
  try {
    if (corpus.kind === "perplexity-corpus" && spec.dataset === "c4") {
      const texts = loaded.docs.map((d) => corpus.text(d));
      const windows = calibrationWindows(texts, tokenizer, { nsamples, seqLen, seed });
      return {
        dataset: spec.dataset,
        split,
        ...(note ? { note } : {}),
        procedure: "wanda-c4",
        sequences: windows.map((w) => w.tokens),
        record: datasetRecord(loaded, {
          windows: {
            seed,
            generator: "python-random",
            seqLen,
            docs: windows.map((w) => w.doc),
            starts: windows.map((w) => w.start),
          },
        }),
      };
    }
    if (corpus.kind === "perplexity-corpus") {
      const text = loaded.docs.map((d) => corpus.text(d)).join(" ");
      const ids = Int32Array.from(tokenizer.encode(text, { addBos: true }));
      const w = wandaWindows(ids, { nsamples, seqLen, seed });
      return {
        dataset: spec.dataset,
        split,
        ...(note ? { note } : {}),
        procedure: `wanda-${spec.dataset}`,
        sequences: w.starts.map((_, i) => Array.from(windowTokens(w, i))),
        record: datasetRecord(loaded, {
          windows: { seed, generator: "python-random", seqLen, starts: w.starts },
        }),
      };
    }
    const { style } = calibrationRole(spec.dataset);
    if (!style) {
      throw new ActpatError(`calibrate on "${spec.dataset}"`, "its calibration role names no style");
    }
    const set = await taskCalibration(dataset, split, tokenizer, { nsamples, seqLen, seed }, style);
    return note ? { ...set, note } : set;
  } catch (err) {
    // The split is loaded: a failure now means it is too small for what was asked (a typed, per-cell result).
    if (!(err instanceof ActpatError) || err instanceof CalibrationUnbuildable) throw err;
    throw new CalibrationUnbuildable({ dataset: spec.dataset, split, nsamples, seqLen, detail: err.message });
  }
}

/**
 * The split to calibrate on: the one asked for, else the default ({@link defaultCalibrationSplit}) when it can
 * be had (mirror, cache or a working download), else the first registered split on disk, with a note saying
 * so (the offline mirror holds only the evaluation splits of the tasks: calibrating on one is then explicit in
 * the note and in pruning.json).
 */
export async function calibrationSplit(
  dataset: DatasetHandle,
  asked: string | undefined,
): Promise<{ split: string; note?: string }> {
  if (asked !== undefined) return { split: asked };
  const spec = dataset.spec;
  const preferred = defaultCalibrationSplit(spec.name);
  let why: string;
  try {
    await dataset.split(preferred);
    return { split: preferred };
  } catch (err) {
    if (!(err instanceof ActpatError) || !/^Cannot (load dataset|find split)/.test(err.message)) throw err;
    why = err.message;
  }
  for (const split of Object.keys(spec.splits)) {
    if (split === preferred) continue;
    try {
      await dataset.split(split);
    } catch {
      continue;
    }
    return {
      split,
      note:
        `calibration: ${spec.name}/${preferred} is not available (${why}); using ${spec.name}/${split} instead`,
    };
  }
  throw new ActpatError(`calibrate on "${spec.name}"`, `no split of it is available (${why})`);
}

async function taskCalibration(
  dataset: DatasetHandle,
  split: string,
  tokenizer: TokenEncoder,
  options: { nsamples: number; seqLen: number; seed: number },
  style: TaskCalibrationStyle,
): Promise<CalibrationSet> {
  const { nsamples, seqLen, seed } = options;
  const name = dataset.spec.name;
  const paper = dataset.spec.paper;
  if (!paper || (style === "answers" && !paper.answer)) {
    throw new ActpatError(`calibrate on "${name}"`, "the registry has no paper prompt for it");
  }
  const prompt = paper.prompt;
  const answer = paper.answer ?? (() => "");
  const loaded = await dataset.split(split);
  const docs = loaded.docs;
  const drawn = await sampleExamples(dataset, split, { n: nsamples, seed });
  let j = nsamples;
  const next = () => {
    if (j >= docs.length) {
      throw new ActpatError(
        `build the ${name} calibration set`,
        `the fill prompts ran past the ${docs.length} rows of split "${split}"; use fewer --nsamples or a shorter --seq-len`,
      );
    }
    return docs[j++];
  };
  const encode = (text: string) => tokenizer.encode(text, { addBos: true });
  const sequences: number[][] = [];
  for (const i of drawn.ids) {
    const doc = docs[i];
    let text = prompt(doc);
    let tokens: number[];
    if (style === "answers") {
      tokens = encode(text);
      text += answer(doc);
      while (tokens.length < seqLen) {
        const d = next();
        text += SEPARATOR + prompt(d);
        tokens = encode(text);
        text += answer(d);
      }
    } else {
      if (style === "prefill") {
        for (let k = 0; k < PREFILL_PROMPTS; k++) text += SEPARATOR + prompt(next());
      }
      tokens = encode(text);
      while (tokens.length < seqLen) {
        text += SEPARATOR + prompt(next());
        tokens = encode(text);
      }
    }
    sequences.push(tokens.slice(0, seqLen));
  }
  return {
    dataset: name,
    split,
    procedure: `paper-${style}`,
    sequences,
    record: datasetRecord(loaded, { examples: { seed, generator: "python-random", ids: drawn.ids } }),
    fillRows: [nsamples, j],
  };
}
