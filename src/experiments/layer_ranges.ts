/**
 * Layer ranges of the `--layers` flag (STS experiment, paper Table 3; relevance's deep layers). Two forms:
 *
 * - absolute: `a-b` is decoder layers a, a+1, …, b (0-based, both ends included); `a` alone is layer a.
 * - fraction of depth: `f-g` where an end has a decimal point, 0 ≤ f < g ≤ 1. Layer l of an L-layer model
 *   occupies the depth interval [l/L, (l+1)/L); the range takes every layer whose interval overlaps [f, g),
 *   i.e. layers ⌊f·L⌋ … ⌈g·L⌉ − 1. When f·L and g·L are whole numbers this is Python's `range(f·L, g·L)`:
 *   on a 32-layer model `0.375-0.9375` is layers 12–29, the paper's `range(12, len(ans_sta) - 2)`
 *   (Qian2333/Exploring-Activation-Patterns-of-Parameters-in-Language-Models, llama_sts.py @93503116), and
 *   `0.5-1.0` is layers 16–31. On 5 layers `0.5-1.0` is layers 2–4 (layer 2 spans depths 0.4–0.6).
 */
import { z } from "zod";
import { UsageError } from "../util/errors.ts";

/** A parsed `--layers` entry, not yet tied to a model. */
export interface LayerRangeSpec {
  /** The entry as written (trimmed); used as the range's label in result tables. */
  text: string;
  kind: "absolute" | "fraction";
  start: number;
  end: number;
}

/** A range resolved against a model: layers `first` … `last`, both included. */
export interface LayerRange {
  label: string;
  first: number;
  last: number;
}

const ACTION = "parse --layers";
const HINT =
  "write a-b with 0-based layers (e.g. 12-30, both ends included) or fractions of depth (e.g. 0.5-1.0)";
const INTEGER = /^\d+$/;
const DECIMAL = /^(\d+\.\d*|\.\d+)$/;

/** Parses one entry such as `12-30`, `7` or `0.5-1.0` (syntax only; see {@link resolveLayerRange}). */
export function parseLayerRangeSpec(entry: string): LayerRangeSpec {
  const text = entry.trim();
  const ends = text.split("-").map((s) => s.trim());
  const bad = (why: string) => new UsageError(ACTION, `"${text}" ${why}`);
  if (
    ends.length > 2 || ends.some((e) => e === "") || ends.some((e) => !INTEGER.test(e) && !DECIMAL.test(e))
  ) {
    throw bad(`is not a layer range: ${HINT}`);
  }
  const fraction = ends.some((e) => DECIMAL.test(e));
  const [start, end] = [Number(ends[0]), Number(ends[ends.length - 1])];
  if (!fraction) {
    if (start > end) throw bad("starts after it ends");
    return { text, kind: "absolute", start, end };
  }
  if (ends.length === 1) throw bad("is a single fraction: a fraction of depth needs two ends, e.g. 0.5-1.0");
  if (start > 1 || end > 1) throw bad("has a fraction of depth above 1 (fractions lie in [0, 1])");
  if (start >= end) throw bad("is empty: the first fraction must be below the second");
  return { text, kind: "fraction", start, end };
}

/** Parses the comma-separated entries of `--layers`; an empty list or a repeated entry is an error. */
export function parseLayerRangeSpecs(entries: readonly string[]): LayerRangeSpec[] {
  const specs = entries.map(parseLayerRangeSpec);
  if (specs.length === 0) throw new UsageError(ACTION, `no layer range given: ${HINT}`);
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.text)) throw new UsageError(ACTION, `"${s.text}" is listed twice`);
    seen.add(s.text);
  }
  return specs;
}

/** f·L snapped to the nearest integer when float rounding leaves it a hair off (0.3 · 10 = 3.0000000000000004). */
function depth(f: number, numLayers: number): number {
  const x = f * numLayers;
  const r = Math.round(x);
  return Math.abs(x - r) < 1e-9 ? r : x;
}

/** The layers of `spec` in a model of `numLayers` decoder layers; absolute layers must exist. */
export function resolveLayerRange(spec: LayerRangeSpec, numLayers: number): LayerRange {
  if (!Number.isInteger(numLayers) || numLayers < 1) {
    throw new UsageError(ACTION, `the model has ${numLayers} layers`);
  }
  if (spec.kind === "absolute") {
    if (spec.end >= numLayers) {
      throw new UsageError(
        ACTION,
        `"${spec.text}" needs layer ${spec.end} but the model has ${numLayers} layers (0-${numLayers - 1})`,
      );
    }
    return { label: spec.text, first: spec.start, last: spec.end };
  }
  const first = Math.floor(depth(spec.start, numLayers));
  const last = Math.ceil(depth(spec.end, numLayers)) - 1;
  return { label: spec.text, first, last };
}

/** Resolves every spec against a model of `numLayers` layers. */
export function resolveLayerRanges(specs: readonly LayerRangeSpec[], numLayers: number): LayerRange[] {
  return specs.map((s) => resolveLayerRange(s, numLayers));
}

/** Parses and resolves `--layers` entries in one step. */
export function parseLayerRanges(entries: readonly string[], numLayers: number): LayerRange[] {
  return resolveLayerRanges(parseLayerRangeSpecs(entries), numLayers);
}

/** The layers of a range, ascending. */
export function rangeLayers(range: LayerRange): number[] {
  return Array.from({ length: range.last - range.first + 1 }, (_, i) => range.first + i);
}

/** Every layer of any of the ranges, ascending, each once. */
export function unionLayers(ranges: readonly LayerRange[]): number[] {
  return [...new Set(ranges.flatMap(rangeLayers))].sort((a, b) => a - b);
}

/** Schema of one layer range as configs write it (`"12-30"`, `"0.5-1.0"`), read with {@link parseLayerRangeSpec}. */
export const LayerRangeText = z.string().refine((t) => {
  try {
    parseLayerRangeSpec(t);
    return true;
  } catch {
    return false;
  }
}, { error: HINT });
