import assert from "node:assert/strict";
import { join } from "node:path";
import { tempDir } from "../../test/fixtures/temp_dir.ts";
import { lock, tryLock } from "./file_lock.ts";

Deno.test("tryLock: one holder at a time; the other learns who; release lets the next in", async () => {
  await using tmp = await tempDir();
  const path = join(tmp.path, "x.lock");
  const first = await tryLock(path, "first job");
  assert.ok(!("holder" in first));
  const second = await tryLock(path, "second job");
  assert.ok("holder" in second);
  assert.deepEqual([second.holder?.pid, second.holder?.what], [Deno.pid, "first job"]);
  await first.release();
  assert.equal(await Deno.stat(path).then(() => true, () => false), false, "the lock file is removed");
  const third = await tryLock(path, "third job");
  assert.ok(!("holder" in third));
  await third.release();
});

Deno.test("lock waits for the holder; a lock file left by a killed process is taken over at once", async () => {
  await using tmp = await tempDir();
  const path = join(tmp.path, "x.lock");
  const held = await tryLock(path, "holder");
  assert.ok(!("holder" in held));
  let waited = 0;
  const waiting = lock(path, "waiter", { onWait: () => waited++, pollMs: 10 });
  await new Promise((r) => setTimeout(r, 50));
  await held.release();
  const got = await waiting;
  assert.equal(waited, 1);
  await got.release();
  // A killed holder leaves its file, but the operating system dropped its lock.
  await Deno.writeTextFile(path, JSON.stringify({ pid: 4000000, host: "h", since: "t", what: "killed" }));
  const again = await tryLock(path, "after the kill");
  assert.ok(!("holder" in again));
  await again.release();
});
