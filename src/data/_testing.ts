import { parquetWriteBuffer } from "hyparquet-writer";
import { MIRROR } from "../../test/fixtures/mirror.ts";

/**
 * The mirror used by data tests (test/fixtures/mirror.ts); a path that does not exist where there is none, so
 * the tests that need it must carry `needsMirror`.
 */
export function testMirror(): string {
  return MIRROR ?? "/nonexistent/actpat-mirror";
}

/** A byte-level tokenizer for tests: UTF-8 bytes + 3, BOS = 1 when asked. */
export const byteTokenizer = {
  encode(text: string, options: { addBos?: boolean } = {}): number[] {
    const ids = [...new TextEncoder().encode(text)].map((b) => b + 3);
    return options.addBos ? [1, ...ids] : ids;
  },
};

/** Writes `text` gzip-compressed to `path`. */
export async function writeGzip(path: string, text: string): Promise<void> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  await Deno.writeFile(path, new Uint8Array(await new Response(stream).arrayBuffer()));
}

/** Column of a test parquet file: strings, integers (INT64), booleans or lists of strings. */
export type TestColumn = {
  name: string;
  data: unknown[];
  type: "STRING" | "INT64" | "BOOLEAN" | "STRING_LIST";
};

/**
 * Writes a parquet file with the column types the hub's exports use (snappy, like pyarrow's default):
 * string, int64, bool, and `list<string>` as the standard 3-level LIST.
 */
export async function writeParquet(path: string, columns: TestColumn[]): Promise<void> {
  const schema: Record<string, unknown>[] = [{ name: "root", num_children: columns.length }];
  for (const c of columns) {
    if (c.type === "STRING") {
      schema.push({ name: c.name, type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" });
    } else if (c.type === "INT64") schema.push({ name: c.name, type: "INT64", repetition_type: "OPTIONAL" });
    else if (c.type === "BOOLEAN") {
      schema.push({ name: c.name, type: "BOOLEAN", repetition_type: "OPTIONAL" });
    } else {
      schema.push(
        { name: c.name, repetition_type: "OPTIONAL", converted_type: "LIST", num_children: 1 },
        { name: "list", repetition_type: "REPEATED", num_children: 1 },
        { name: "element", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
      );
    }
  }
  const columnData = columns.map((c) => ({
    name: c.name,
    data: c.type === "INT64" ? c.data.map((v) => BigInt(v as number)) : c.data,
  }));
  // deno-lint-ignore no-explicit-any
  const buffer = parquetWriteBuffer({ columnData: columnData as any, schema: schema as any });
  await Deno.writeFile(path, new Uint8Array(buffer));
}
