import assert from "node:assert/strict";
import { join } from "node:path";
import { COMPARE_SCHEMA, compareRuns, compareTables, formatSummary, type Table } from "./compare.ts";
import { readCsv } from "./csv.ts";
import { fixtureTables, writeRunFixture } from "../../test/fixtures/run_fixture.ts";
import { loadTolerances, type Tolerances } from "./tolerances.ts";
import { readCsvTable } from "./csv.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const TASK = join(ROOT, "tasks/compare.ts");
const tolerances = await loadTolerances();

function clone(tables: Record<string, Table>): Record<string, Table> {
  return structuredClone(tables);
}

/** Sets `column` of the first row of `t` matching `where` with `f(old)`; returns the old value. */
function edit(t: Table, where: Record<string, string>, column: string, f: (old: string) => string): string {
  const row = t.rows.find((r) => Object.entries(where).every(([k, v]) => r[t.header.indexOf(k)] === v));
  assert.ok(row, `no row ${JSON.stringify(where)}`);
  const i = t.header.indexOf(column);
  const old = row[i];
  row[i] = f(old);
  return old;
}

async function runTask(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", TASK, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

async function twoRuns(mutate: (b: Record<string, Table>) => void = () => {}): Promise<[string, string]> {
  const dir = await Deno.makeTempDir({ prefix: "actpat_compare_" });
  const tables = fixtureTables();
  const b = clone(tables);
  mutate(b);
  await writeRunFixture(join(dir, "a"), tables);
  await writeRunFixture(join(dir, "b"), b);
  return [join(dir, "a"), join(dir, "b")];
}

/** Every file under `dir` with its bytes. */
async function files(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) { for (const [k, v] of await files(p)) out.set(join(e.name, k), v); }
    else out.set(e.name, await Deno.readTextFile(p));
  }
  return out;
}

Deno.test("compare: identical runs compare clean and the task exits 0; it writes into neither run, compare.csv only with --out", async () => {
  const [a, b] = await twoRuns();
  const result = await compareRuns(a, b, tolerances);
  assert.equal(result.failed, false);
  const fixture = fixtureTables();
  assert.deepEqual(result.files.map((f) => f.file), Object.keys(fixture).sort());
  for (const f of result.files) {
    assert.equal(f.rowsCompared, fixture[f.file].rows.length, f.file);
    assert.equal(f.rowsMissing + f.rowsAdded + f.rowsMoved, 0, f.file);
    assert.deepEqual(f.notes, [], `${f.file}: the key table makes every fixture row unique`);
  }
  const before = [await files(a), await files(b)];
  const plain = await runTask(a, b);
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stdout, /OK: 16 files match within tolerance/);
  assert.deepEqual([await files(a), await files(b)], before, "compare wrote into a run it checks");
  const out = join(a, "..", "cmp");
  const run = await runTask(a, b, "--out", out);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, new RegExp(`OK: 16 files match within tolerance\nwrote ${out}/compare.csv`));
  assert.deepEqual([await files(a), await files(b)], before);
  const csv = await readCsvTable(join(out, "compare.csv"));
  assert.deepEqual(csv.header, [
    "file",
    "key",
    "column",
    "a",
    "b",
    "abs_diff",
    "rel_diff",
    "tolerance",
    "status",
  ]);
  assert.ok(csv.rows.length > 0 && csv.rows.every((r) => r[8] === "ok"));
  const typed = await readCsv(join(out, "compare.csv"), COMPARE_SCHEMA); // reads back under its documented schema
  assert.equal(typed.length, csv.rows.length);
  assert.ok(typed.every((r) => r.abs_diff === 0 || (r.abs_diff === null && r.a === r.b)));
});

Deno.test("compare: a value beyond tolerance is caught with old → new and its delta (exit 1)", async () => {
  let old = "";
  const [a, b] = await twoRuns((t) => {
    // 5% more active parameters: the density tolerance is 0.1% relative.
    old = edit(
      t["density.csv"],
      { dataset: "siqa", layer: "3", module: "up_proj" },
      "active",
      (v) => String(Math.round(Number(v) * 1.05)),
    );
  });
  const result = await compareRuns(a, b, tolerances);
  assert.equal(result.failed, true);
  const density = result.files.find((f) => f.file === "density.csv")!;
  assert.equal(density.rowsMoved, 1);
  const moved = density.cells.filter((c) => c.status !== "ok");
  assert.equal(moved.length, 1);
  const cell = moved[0];
  const next = Math.round(Number(old) * 1.05);
  assert.equal(cell.key, "dataset=siqa;layer=3;module=up_proj");
  assert.equal(cell.column, "active");
  assert.equal(cell.absDiff, next - Number(old));
  assert.equal(cell.relDiff, (next - Number(old)) / Number(old));
  assert.equal(cell.tolerance, 2 + 1e-3 * Number(old));
  for (const f of result.files.filter((f) => f.file !== "density.csv")) assert.equal(f.rowsMoved, 0, f.file);

  const run = await runTask(a, b, "--out", join(a, "..")); // --out keeps RUN_B untouched
  assert.equal(run.code, 1);
  assert.ok(run.stdout.includes(`dataset=siqa;layer=3;module=up_proj  active: ${old} → ${next}`), run.stdout);
  assert.match(run.stdout, /FAIL: 1 rows moved beyond tolerance, 0 rows missing/);
  const csv = await readCsvTable(join(a, "..", "compare.csv"));
  assert.equal(csv.rows.filter((r) => r[8] === "beyond").length, 1);
});

Deno.test("compare: an --out it cannot write exits 2 with one Cannot line, before printing OK or FAIL", async () => {
  for (
    const mutate of [() => {}, (t: Record<string, Table>) => edit(t["density.csv"], {}, "active", () => "-1")]
  ) {
    const [a, b] = await twoRuns(mutate);
    const blocked = join(a, "..", "a-file");
    await Deno.writeTextFile(blocked, "not a folder\n");
    const run = await runTask(a, b, "--out", blocked);
    assert.equal(run.code, 2, run.stderr);
    assert.doesNotMatch(run.stdout, /OK|FAIL/, run.stdout);
    assert.match(
      run.stderr,
      new RegExp(`^error: Cannot create the folder ${blocked}: file exists`),
      run.stderr,
    );
    assert.doesNotMatch(run.stderr, /^\s+at /m);
  }
});

Deno.test("compare: a move within tolerance passes; the same move with a tighter tolerance file fails", async () => {
  const [a, b] = await twoRuns((t) => {
    // similarity tolerance is abs 1e-5: move one value by 4e-6.
    edit(
      t["similarity.csv"],
      { dataset_a: "boolq", dataset_b: "humaneval", pair: "2", layer: "1" },
      "similarity",
      (v) => String(Number(v) + 4e-6),
    );
  });
  assert.equal((await compareRuns(a, b, tolerances)).failed, false);
  const strict: Tolerances = { default: { abs: 0, rel: 0, why: "test: exact" }, rules: [] };
  const result = await compareRuns(a, b, strict);
  assert.equal(result.failed, true);
  const cells = result.files.flatMap((f) => f.cells).filter((c) => c.status === "beyond");
  assert.equal(cells.length, 1);
  assert.ok(Math.abs(cells[0].absDiff - 4e-6) < 1e-12, String(cells[0].absDiff));

  const file = join(a, "..", "strict.json");
  await Deno.writeTextFile(file, JSON.stringify(strict));
  assert.equal((await runTask(a, b)).code, 0);
  assert.equal((await runTask(a, b, "--tolerances", file)).code, 1);
});

Deno.test("compare: missing rows and files fail, added rows are reported but pass", async () => {
  const [a, b] = await twoRuns((t) => {
    const iv = t["intervention.csv"];
    iv.rows = iv.rows.filter((r) => r[1] !== "zero");
    t["massive.csv"].rows.push(["karpathy/tinyllamas/stories260K", "5", "1", "1", "1", "1", "1"]);
    delete t["sts.csv"];
  });
  const result = await compareRuns(a, b, tolerances);
  assert.equal(result.failed, true);
  const iv = result.files.find((f) => f.file === "intervention.csv")!;
  assert.equal(iv.rowsMissing, 1);
  assert.deepEqual(iv.cells.filter((c) => c.status === "missing").map((c) => c.key), [
    "setting=zero;corpus=wikitext2",
  ]);
  const massive = result.files.find((f) => f.file === "massive.csv")!;
  assert.equal(massive.rowsAdded, 1);
  assert.equal(massive.cells.some((c) => c.status !== "ok" && c.status !== "added"), false);
  const sts = result.files.find((f) => f.file === "sts.csv")!;
  assert.equal(sts.rowsMissing, fixtureTables()["sts.csv"].rows.length);
  const summary = formatSummary(result);
  assert.match(summary, /intervention\.csv: 2 rows compared, 0 moved beyond tolerance, 1 missing, 0 added/);
  assert.ok(summary.includes("missing  setting=zero;corpus=wikitext2"), summary);
  assert.match(summary, /sts\.csv \(file only in A\)/);
  assert.ok(summary.includes("added    layer=5"), summary);
});

Deno.test("compare: the model column names the run and is neither key nor compared", () => {
  const a = fixtureTables()["massive.csv"];
  const b = structuredClone(a);
  for (const row of b.rows) row[0] = "karpathy/tinyllamas/stories260K-perturbed";
  const result = compareTables("massive.csv", a, b, { default: { abs: 0, rel: 0, why: "exact" }, rules: [] });
  assert.deepEqual(result.keyColumns, ["layer"]);
  assert.equal(result.rowsCompared, a.rows.length);
  assert.ok(result.cells.every((c) => c.status === "ok" && c.column !== "model"));
});

Deno.test("compare: text changes, NaN, column changes and non-unique keys", () => {
  const exact: Tolerances = { default: { abs: 0, rel: 0, why: "exact" }, rules: [] };
  const a: Table = {
    header: ["layer", "setting", "x", "gone"],
    rows: [["0", "s", "NaN", "1"], ["0", "s", "1", "2"]],
  };
  const b: Table = {
    header: ["layer", "setting", "x", "new"],
    rows: [["0", "s", "NaN", "1"], ["0", "t", "1", "2"]],
  };
  const r = compareTables("unknown.csv", a, b, exact);
  assert.deepEqual(r.keyColumns, ["setting"]); // unlisted file: its text columns are the key
  assert.ok(r.notes.some((n) => n.includes("no key table entry")));
  assert.ok(r.notes.some((n) => n.includes("matched in order")));
  const statuses = r.cells.map((c) => `${c.key}|${c.column}:${c.status}`).sort();
  assert.deepEqual(
    statuses,
    [
      "setting=s#1|layer:ok",
      "setting=s#1|x:ok", // NaN on both sides is equal
      "setting=s#2|*:missing",
      "setting=t#1|*:added",
      "|gone:missing_column",
      "|new:added_column",
    ].sort(),
  );
  const text = compareTables(
    "intervention.csv",
    { header: ["setting", "note", "ppl"], rows: [["zero", "foo", "3"]] },
    { header: ["setting", "note", "ppl"], rows: [["zero", "bar", "NaN"]] },
    exact,
  );
  assert.deepEqual(text.cells.map((c) => `${c.column}:${c.status}`), ["note:changed", "ppl:changed"]);
  assert.equal(text.rowsMoved, 1);
});

Deno.test("compare: bad arguments say what is wrong and exit non-zero", async () => {
  const [a] = await twoRuns();
  const cases: [string[], RegExp][] = [
    [[a], /Cannot compare runs: expected RUN_A and RUN_B, got 1 arguments/],
    [[a, "/nonexistent/run_b"], /Cannot compare runs: RUN_B \/nonexistent\/run_b does not exist/],
    [[a, a, "--tolerance", "x"], /Cannot run compare: .*tolerance/],
    [[a, a, "--tolerances", join(a, "manifest.json")], /Cannot read tolerances: .*manifest\.json: default/],
  ];
  for (const [args, pattern] of cases) {
    const run = await runTask(...args);
    assert.notEqual(run.code, 0, args.join(" "));
    assert.match(run.stderr, pattern);
  }
});
