import assert from "node:assert/strict";
import { join } from "node:path";
import { type CsvSchema, formatCsv, formatNumber, parseCsv, readCsv, writeCsv } from "./csv.ts";

const SCHEMA: CsvSchema = [
  { name: "layer", type: "integer", description: "decoder layer index" },
  { name: "name", type: "string", description: "free text", nullable: true },
  { name: "value", type: "number", description: "a metric", nullable: true },
  { name: "ok", type: "boolean", description: "a flag" },
];

Deno.test("formatCsv: header, schema order, RFC 4180 quoting, '' vs null", () => {
  const text = formatCsv(SCHEMA, [
    { ok: true, value: 0.1, name: 'a, "b"\nc', layer: 3 },
    { layer: -1, name: "", value: null, ok: false },
    { layer: 0, name: null, value: 1e-7, ok: true },
  ]);
  assert.equal(
    text,
    'layer,name,value,ok\n3,"a, ""b""\nc",0.1,true\n-1,"",,false\n0,,1e-7,true\n',
  );
});

Deno.test("numbers round-trip bit for bit: shortest decimal, -0, NaN, infinities, extremes", async () => {
  const values = [
    0.1 + 0.2,
    1 / 3,
    -0,
    0,
    5e-324,
    Number.MAX_VALUE,
    -Number.MIN_VALUE,
    1e21,
    123456789.12345678,
    NaN,
    Infinity,
    -Infinity,
    Math.PI * 1e-300,
  ];
  assert.equal(formatNumber(0.1 + 0.2), "0.30000000000000004");
  assert.equal(formatNumber(-0), "-0");
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "n.csv");
    const schema: CsvSchema = [
      { name: "i", type: "integer", description: "row" },
      { name: "x", type: "number", description: "value" },
    ];
    await writeCsv(path, schema, values.map((x, i) => ({ i, x })));
    const back = await readCsv(path, schema);
    back.forEach((row, i) => assert.ok(Object.is(row.x, values[i]), `${values[i]} came back as ${row.x}`));
    // Deterministic: the same rows give the same bytes.
    const again = formatCsv(schema, values.map((x, i) => ({ i, x })));
    assert.equal(await Deno.readTextFile(path), again);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("integers beyond 2^53 are written exactly from bigint and read back as bigint", () => {
  const schema: CsvSchema = [{ name: "n", type: "integer", description: "count" }];
  const text = formatCsv(schema, [{ n: 2n ** 70n }, { n: 7 }]);
  assert.equal(text, "n\n1180591620717411303424\n7\n");
  assert.deepEqual(parseCsv(text, schema), [{ n: 2n ** 70n }, { n: 7 }]);
});

Deno.test("parseCsv gives back the rows formatCsv wrote, with types", () => {
  const rows = [
    { layer: 3, name: 'a, "b"\nc', value: 0.1, ok: true },
    { layer: -1, name: "", value: null, ok: false },
    { layer: 0, name: null, value: 1e-7, ok: true },
  ];
  assert.deepEqual(parseCsv(formatCsv(SCHEMA, rows), SCHEMA), rows);
});

Deno.test("bad rows and bad files are named", () => {
  assert.throws(() => formatCsv(SCHEMA, [{ layer: 1, name: "x", value: 1 } as never]), {
    message: 'Cannot write CSV: row 1, column "ok" is missing',
  });
  assert.throws(
    () => formatCsv(SCHEMA, [{ layer: 1, name: "x", value: 1, ok: true, extra: 2 }]),
    /column "extra" not in the schema/,
  );
  assert.throws(
    () => formatCsv(SCHEMA, [{ layer: 1.5, name: "x", value: 1, ok: true }]),
    /column "layer" is not a safe integer: 1.5/,
  );
  assert.throws(
    () => formatCsv(SCHEMA, [{ layer: null, name: "x", value: 1, ok: true }]),
    /is null but the column is not nullable/,
  );
  assert.throws(
    () => formatCsv(SCHEMA, [{ layer: 1, name: "x", value: "1", ok: true }]),
    /column "value" is not a number/,
  );
  assert.throws(
    () => parseCsv("layer,value\n1,2\n", SCHEMA, "t.csv"),
    /Cannot read t\.csv: header is \["layer","value"\], expected/,
  );
  assert.throws(() => parseCsv("layer,name,value,ok\nx,,1,true\n", SCHEMA, "t.csv"), {
    message: 'Cannot read t.csv: row 1, column "layer": "x" is not an integer',
  });
  assert.throws(
    () => parseCsv("layer,name,value,ok\n1,,1,maybe\n", SCHEMA, "t.csv"),
    /"maybe" is not a boolean/,
  );
  assert.throws(
    () => parseCsv("layer,name,value,ok\n1,,1\n", SCHEMA, "t.csv"),
    /Cannot read t\.csv: .*record/i,
  );
});
