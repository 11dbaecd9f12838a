import { asyncBufferFromFile, parquetReadObjects } from "hyparquet";
import { ActpatError } from "../util/errors.ts";
import type { FileFormat } from "./dataset_spec.ts";

/**
 * Parses a dataset file into rows: objects for `jsonl`, `jsonl.gz` and `parquet`, strings for `lines` and
 * `wikitext-raw`, string arrays for `tsv`. Text formats are streamed line by line, so a C4 shard is never
 * held as one string.
 */
export async function parseDataFile(path: string, format: FileFormat): Promise<unknown[]> {
  switch (format) {
    case "jsonl":
    case "jsonl.gz":
      return await parseJsonLines(path, format === "jsonl.gz");
    case "lines":
      return await collect(path, false, (line) => line);
    case "tsv":
      return await collect(path, false, (line) => line.split("\t"));
    case "wikitext-raw":
      return await parseWikitextRaw(path);
    case "parquet":
      return await parseParquet(path);
  }
}

/**
 * WikiText raw file → the hub's rows (`Salesforce/wikitext`): the hub's builder yields each file line with its
 * "\n" kept, and "" for a blank line (" \n" in the file). Evaluation code joins these rows with "\n\n".
 */
export async function parseWikitextRaw(path: string): Promise<string[]> {
  return await collect(path, false, (line) => line.trim() === "" ? "" : `${line}\n`, { keepCR: true });
}

async function parseJsonLines(path: string, gzip: boolean): Promise<unknown[]> {
  return await collect(path, gzip, (line, lineNo) => {
    try {
      return JSON.parse(line);
    } catch (err) {
      throw new ActpatError(`parse ${path}`, `line ${lineNo} is not valid JSON (${(err as Error).message})`);
    }
  }, { skipEmpty: true });
}

/**
 * Streams `path` (gunzipping when asked) line by line. Lines split at "\n" only; a trailing "\r" is dropped
 * unless `keepCR`; the empty piece after a final newline is not a line.
 */
async function collect<T>(
  path: string,
  gzip: boolean,
  map: (line: string, lineNo: number) => T,
  options: { skipEmpty?: boolean; keepCR?: boolean } = {},
): Promise<T[]> {
  const out: T[] = [];
  let lineNo = 0;
  const take = (raw: string) => {
    lineNo++;
    const line = !options.keepCR && raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (options.skipEmpty && line.trim() === "") return;
    out.push(map(line, lineNo));
  };
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (err) {
    throw new ActpatError(`read ${path}`, (err as Error).message);
  }
  const stream: ReadableStream<BufferSource> = gzip
    ? file.readable.pipeThrough(new DecompressionStream("gzip"))
    : file.readable;
  let rest = "";
  try {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream("utf-8", { fatal: true }))) {
      const text = rest + chunk;
      let start = 0;
      for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
        take(text.slice(start, nl));
        start = nl + 1;
      }
      rest = text.slice(start);
    }
  } catch (err) {
    if (err instanceof ActpatError) throw err;
    throw new ActpatError(
      `read ${path}`,
      `${gzip ? "not a valid gzip file or " : ""}${(err as Error).message}`,
    );
  }
  if (rest !== "") take(rest);
  return out;
}

/** Reads every row of a parquet file as an object; 64-bit integers become numbers (they are row labels here). */
async function parseParquet(path: string): Promise<Record<string, unknown>[]> {
  let rows: Record<string, unknown>[];
  try {
    const file = await asyncBufferFromFile(path);
    rows = await parquetReadObjects({ file }) as Record<string, unknown>[];
  } catch (err) {
    throw new ActpatError(`read parquet file ${path}`, (err as Error).message);
  }
  for (const row of rows) {
    for (const [key, value] of Object.entries(row)) {
      if (typeof value === "bigint") row[key] = Number(value);
    }
  }
  return rows;
}
