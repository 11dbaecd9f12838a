import { ActpatError } from "../util/errors.ts";
import type { DatasetSpec, Doc } from "./dataset_spec.ts";
import { parseDataFile } from "./formats.ts";
import { DATASETS } from "./registry.ts";
import { type ResolvedFile, type ResolveOptions, resolveSplitFiles } from "./resolve.ts";

/** Options of {@link loadSplit} and {@link openDataset}. */
export interface LoadOptions extends ResolveOptions {
  /**
   * Throw when the row count differs from the official split size (default true). Off only for small files
   * written by tests in a dataset's format.
   */
  strictRows?: boolean;
}

/** A split in memory: its docs in file order, where they came from, and the official size. */
export interface LoadedSplit {
  dataset: string;
  split: string;
  origin: "publisher" | "hub";
  docs: Doc[];
  officialRows: number;
  files: ResolvedFile[];
}

/** One example: a doc and its position (its id) in the split. */
export interface Example {
  dataset: string;
  split: string;
  id: number;
  doc: Doc;
}

/** The spec of `split`; throws naming the known splits when the dataset has no such split. */
export function splitSpec(spec: DatasetSpec<Doc>, split: string) {
  const s = spec.splits[split];
  if (!s) {
    throw new ActpatError(
      `find split "${split}" of dataset "${spec.name}"`,
      `known splits: ${Object.keys(spec.splits).join(", ")}`,
    );
  }
  return s;
}

/**
 * Loads one split: resolves its files (mirror → cache → download), parses them, validates every doc against
 * the registry's schema and checks the row count against the official size.
 * @example const { docs } = await loadSplit("boolq", "validation");
 */
export async function loadSplit(
  name: string,
  split: string,
  options: LoadOptions = {},
): Promise<LoadedSplit> {
  const spec = DATASETS.get(name);
  const s = splitSpec(spec, split);
  const { source, files } = await resolveSplitFiles(
    { dataset: name, folder: spec.folder ?? name, split },
    s.sources,
    options,
  );
  const rows: unknown[][] = [];
  for (const [i, f] of files.entries()) rows.push(await parseDataFile(f.path, source.files[i].format));
  const raw = source.toDocs(rows);
  const where = files.map((f) => f.path).join(" + ");
  const docs = raw.map((row, i) => {
    const parsed = spec.doc.safeParse(row);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ActpatError(
        `load dataset "${name}"`,
        `row ${i + 1} of ${where}: field "${issue.path.join(".")}" ${issue.message}`,
      );
    }
    return parsed.data;
  });
  if (options.strictRows !== false && docs.length !== s.rows) {
    throw new ActpatError(
      `load dataset "${name}"`,
      `split "${split}" has ${docs.length} rows in ${where}, the official size is ${s.rows}`,
    );
  }
  return { dataset: name, split, origin: source.origin, docs, officialRows: s.rows, files };
}

/** A dataset whose splits load on first use and stay in memory. */
export interface DatasetHandle {
  spec: DatasetSpec<Doc>;
  split(name: string): Promise<LoadedSplit>;
  /** The example with position `id` in `split`. */
  example(split: string, id: number): Promise<Example>;
}

/** Opens dataset `name` (throws "did you mean" for an unknown name) without loading anything yet. */
export function openDataset(name: string, options: LoadOptions = {}): DatasetHandle {
  const spec = DATASETS.get(name);
  const loaded = new Map<string, Promise<LoadedSplit>>();
  const split = (s: string) => {
    splitSpec(spec, s);
    let p = loaded.get(s);
    if (!p) {
      p = loadSplit(name, s, options);
      loaded.set(s, p);
    }
    return p;
  };
  return {
    spec,
    split,
    async example(s, id) {
      const { docs } = await split(s);
      if (!Number.isInteger(id) || id < 0 || id >= docs.length) {
        throw new ActpatError(`find example ${id} of ${name}/${s}`, `ids run from 0 to ${docs.length - 1}`);
      }
      return { dataset: name, split: s, id, doc: docs[id] };
    },
  };
}
