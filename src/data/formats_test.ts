import assert from "node:assert/strict";
import { join } from "node:path";
import { parseDataFile } from "./formats.ts";
import { writeGzip, writeParquet } from "../../test/fixtures/datasets.ts";

async function withFile(name: string, content: string | Uint8Array, fn: (path: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, name);
    if (typeof content === "string") await Deno.writeTextFile(path, content);
    else await Deno.writeFile(path, content);
    await fn(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("jsonl: CRLF and blank lines tolerated, no trailing newline needed, unicode kept", async () => {
  await withFile("a.jsonl", '{"a": 1}\r\n\n{"a": "é\\u2028x"}', async (path) => {
    assert.deepEqual(await parseDataFile(path, "jsonl"), [{ a: 1 }, { a: "é\u2028x" }]);
  });
});

Deno.test("jsonl: a bad line is named by number", async () => {
  await withFile("bad.jsonl", '{"a": 1}\n{"a": \n', async (path) => {
    await assert.rejects(parseDataFile(path, "jsonl"), /Cannot parse .*bad\.jsonl: line 2 is not valid JSON/);
  });
});

Deno.test("jsonl.gz: gunzipped and streamed across chunk boundaries", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "c4.json.gz");
    // 3000 rows of ~100 bytes: several decoder chunks, so lines straddle chunk boundaries.
    const rows = Array.from(
      { length: 3000 },
      (_, i) => ({ text: `doc ${i} ${"x".repeat(i % 97)}`, url: `u${i}` }),
    );
    await writeGzip(path, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
    assert.deepEqual(await parseDataFile(path, "jsonl.gz"), rows);
    await Deno.writeTextFile(path, "not gzip");
    await assert.rejects(
      parseDataFile(path, "jsonl.gz"),
      /Cannot read .*c4\.json\.gz: not a valid gzip file/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lines and tsv: trailing newline is not a row, CR dropped, quotes kept verbatim", async () => {
  await withFile("l.lst", "0\n1\r\n1\n", async (path) => {
    assert.deepEqual(await parseDataFile(path, "lines"), ["0", "1", "1"]);
  });
  await withFile("t.tsv", 'a\t"b\t c"\nd\te\tf\n', async (path) => {
    assert.deepEqual(await parseDataFile(path, "tsv"), [["a", '"b', ' c"'], ["d", "e", "f"]]);
  });
});

Deno.test("wikitext-raw: lines become hub rows (blank line → empty row, others keep their newline)", async () => {
  await withFile("wiki.raw", " \n = Title = \n \n Text .\n", async (path) => {
    assert.deepEqual(await parseDataFile(path, "wikitext-raw"), ["", " = Title = \n", "", " Text .\n"]);
  });
});

Deno.test("parquet: strings, int64 as numbers, booleans and list<string> columns", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "t.parquet");
    await writeParquet(path, [
      { name: "question", data: ["q0", "q1"], type: "STRING" },
      { name: "answer", data: [3, 0], type: "INT64" },
      { name: "flag", data: [true, false], type: "BOOLEAN" },
      { name: "choices", data: [["a", "b"], ["c", "d", "e"]], type: "STRING_LIST" },
    ]);
    assert.deepEqual(await parseDataFile(path, "parquet"), [
      { question: "q0", answer: 3, flag: true, choices: ["a", "b"] },
      { question: "q1", answer: 0, flag: false, choices: ["c", "d", "e"] },
    ]);
    await Deno.writeTextFile(path, "PAR1 but not really");
    await assert.rejects(parseDataFile(path, "parquet"), /Cannot read parquet file .*t\.parquet/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a missing file is named", async () => {
  await assert.rejects(parseDataFile("/nonexistent/x.jsonl", "jsonl"), /Cannot read \/nonexistent\/x\.jsonl/);
});
