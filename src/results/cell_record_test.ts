import assert from "node:assert/strict";
import { join } from "node:path";
import { cellRecordPath, isCellDone, readCellDone, readCellFailed, runCell } from "./cell_record.ts";

Deno.test("runCell: runs once per key, reuses the stored result, records a failure and clears it on success", async () => {
  const run = await Deno.makeTempDir();
  try {
    let calls = 0;
    const fn = () => Promise.resolve({ calls: ++calls, at: new Date(0) });
    const first = await runCell(run, "table1.wanda", "k1", fn);
    assert.equal(first.reused, false);
    assert.deepEqual(first.result, { calls: 1, at: "1970-01-01T00:00:00.000Z" }, "stored as JSON");
    const again = await runCell(run, "table1.wanda", "k1", fn);
    assert.equal(again.reused, true);
    assert.deepEqual(again.result, first.result);
    assert.equal(calls, 1);
    assert.ok(await isCellDone(run, "table1.wanda", "k1"));
    assert.ok(!await isCellDone(run, "table1.wanda", "k2"));

    await assert.rejects(runCell(run, "table1.wanda", "k2", () => Promise.reject(new Error("boom"))), /boom/);
    assert.equal((await readCellFailed(run, "table1.wanda"))?.error, "boom");
    assert.equal((await readCellDone(run, "table1.wanda"))?.key, "k1", "the old done record stays");
    const third = await runCell(run, "table1.wanda", "k2", fn);
    assert.equal(third.reused, false);
    assert.equal(await readCellFailed(run, "table1.wanda"), null);
    assert.deepEqual((await Array.fromAsync(Deno.readDir(join(run, "cells")))).map((e) => e.name), [
      "table1.wanda.done.json",
    ]);

    await Deno.writeTextFile(cellRecordPath(run, "sts", "done"), "{ half a fi");
    assert.equal(await readCellDone(run, "sts"), null, "an unreadable record: the cell runs again");
    assert.throws(() => cellRecordPath(run, "../x", "done"), /Cannot name cell "\.\.\/x"/);
  } finally {
    await Deno.remove(run, { recursive: true });
  }
});
