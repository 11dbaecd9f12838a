import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { tempDir } from "../../test/fixtures/temp_dir.ts";
import { sha256Cached } from "./file_hash.ts";

Deno.test("sha256Cached hashes once and re-hashes when size or mtime change", async () => {
  await using tmp = await tempDir();
  const cacheDir = join(tmp.path, "cache");
  const path = join(tmp.path, "w.bin");
  await Deno.writeTextFile(path, "abc");
  const abc = createHash("sha256").update("abc").digest("hex");
  assert.deepEqual(await sha256Cached(path, { cacheDir }), { sha256: abc, bytes: 3 });
  const [entry] = [...Deno.readDirSync(join(cacheDir, "sha256"))];
  const entryPath = join(cacheDir, "sha256", entry.name);
  // Poison the cached digest: a cache hit must return it unchanged, proving the file was not read again.
  const poisoned = { ...JSON.parse(await Deno.readTextFile(entryPath)), value: "c".repeat(64) };
  await Deno.writeTextFile(entryPath, JSON.stringify(poisoned));
  assert.equal((await sha256Cached(path, { cacheDir })).sha256, "c".repeat(64));
  // Same size, different mtime → hashed again.
  await Deno.writeTextFile(path, "abd");
  await Deno.utime(path, new Date(), new Date(Date.now() + 5000));
  assert.equal(
    (await sha256Cached(path, { cacheDir })).sha256,
    createHash("sha256").update("abd").digest("hex"),
  );
});
