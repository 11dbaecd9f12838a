import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { serveFolder } from "../../test/fixtures/file_server.ts";
import { downloadToCache, sha256File } from "./download.ts";

function hex(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** A served folder holding one 300 kB file of deterministic bytes, and an empty cache folder. */
async function setup() {
  const root = await Deno.makeTempDir({ prefix: "actpat_dl_" });
  const served = join(root, "served");
  const cache = join(root, "cache");
  await Deno.mkdir(join(served, "owner/repo"), { recursive: true });
  const data = new Uint8Array(300_000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
  await Deno.writeFile(join(served, "owner/repo/weights.bin"), data);
  const server = serveFolder(served);
  return {
    root,
    cache,
    data,
    server,
    async [Symbol.asyncDispose]() {
      await server.close();
      await Deno.remove(root, { recursive: true });
    },
  };
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("downloadToCache fetches a file, records its sha256 and reuses it without a second request", async () => {
  await using t = await setup();
  const dest = join(t.cache, "hub/owner/repo/weights.bin");
  const url = `${t.server.url}/owner/repo/weights.bin`;
  const got = await downloadToCache(url, dest, { quiet: true, sha256: hex(t.data) });
  assert.deepEqual(got, { path: dest, sha256: hex(t.data), bytes: t.data.length });
  assert.deepEqual(await Deno.readFile(dest), t.data);
  assert.equal(await Deno.readTextFile(dest + ".sha256"), `${hex(t.data)}  weights.bin\n`);
  assert.equal(await exists(dest + ".partial"), false);
  const again = await downloadToCache(url, dest, { quiet: true });
  assert.equal(again.sha256, hex(t.data));
  assert.equal(t.server.requests.length, 1);
});

Deno.test("downloadToCache resumes with a Range request after the server drops the connection", async () => {
  await using t = await setup();
  const dest = join(t.cache, "weights.bin");
  t.server.dropOnce.add("/owner/repo/weights.bin");
  const got = await downloadToCache(`${t.server.url}/owner/repo/weights.bin`, dest, {
    quiet: true,
    sha256: hex(t.data),
  });
  assert.equal(got.sha256, hex(t.data));
  assert.deepEqual(await Deno.readFile(dest), t.data);
  assert.equal(t.server.requests.length, 2);
  assert.equal(t.server.requests[0].range, null);
  // The server sent half the body before dropping; the second request must start where the first ended.
  assert.equal(t.server.requests[1].range, `bytes=${t.data.length / 2}-`);
});

Deno.test("downloadToCache resumes a partial file left by an earlier run and hashes the whole file", async () => {
  await using t = await setup();
  const dest = join(t.cache, "weights.bin");
  await Deno.mkdir(t.cache, { recursive: true });
  await Deno.writeFile(dest + ".partial", t.data.subarray(0, 123_456));
  const url = `${t.server.url}/owner/repo/weights.bin`;
  const got = await downloadToCache(url, dest, { quiet: true, retries: 0 });
  assert.equal(got.sha256, hex(t.data));
  assert.equal(await sha256File(dest), hex(t.data));
  assert.deepEqual(t.server.requests.map((r) => r.range), ["bytes=123456-"]);
});

Deno.test("downloadToCache keeps the partial file when retries run out, and the next call completes it", async () => {
  await using t = await setup();
  const dest = join(t.cache, "weights.bin");
  const url = `${t.server.url}/owner/repo/weights.bin`;
  t.server.dropOnce.add("/owner/repo/weights.bin");
  await assert.rejects(
    downloadToCache(url, dest, { quiet: true, retries: 0 }),
    new RegExp(
      `^ActpatError: Cannot download ${url}: connection lost after 150000 bytes .*run again to resume$`,
    ),
  );
  assert.equal(await exists(dest), false);
  assert.equal((await Deno.stat(dest + ".partial")).size, 150_000);
  const got = await downloadToCache(url, dest, { quiet: true, retries: 0 });
  assert.deepEqual(await Deno.readFile(got.path), t.data);
});

Deno.test("downloadToCache reports a 404 naming the URL and leaves nothing behind", async () => {
  await using t = await setup();
  const dest = join(t.cache, "missing.bin");
  const url = `${t.server.url}/owner/repo/missing.bin`;
  await assert.rejects(downloadToCache(url, dest, { quiet: true }), {
    name: "ActpatError",
    message: `Cannot download ${url}: not found (HTTP 404)`,
  });
  assert.equal(await exists(dest), false);
  assert.equal(await exists(dest + ".partial"), false);
});

Deno.test("downloadToCache removes a download whose sha256 does not match", async () => {
  await using t = await setup();
  const dest = join(t.cache, "weights.bin");
  const url = `${t.server.url}/owner/repo/weights.bin`;
  const wrong = "0".repeat(64);
  await assert.rejects(downloadToCache(url, dest, { quiet: true, sha256: wrong }), {
    name: "ActpatError",
    message: `Cannot download ${url}: sha256 mismatch (expected ${wrong}, got ${hex(t.data)})`,
  });
  for (const p of [dest, dest + ".partial", dest + ".sha256"]) assert.equal(await exists(p), false, p);
});

Deno.test("downloadToCache fetches again when a cached file does not match the expected sha256", async () => {
  await using t = await setup();
  const dest = join(t.cache, "weights.bin");
  await Deno.mkdir(t.cache, { recursive: true });
  await Deno.writeFile(dest, new Uint8Array([1, 2, 3]));
  const got = await downloadToCache(`${t.server.url}/owner/repo/weights.bin`, dest, {
    quiet: true,
    sha256: hex(t.data),
  });
  assert.equal(got.bytes, t.data.length);
  assert.equal(t.server.requests.length, 1);
});

Deno.test("downloadToCache sends the caller's headers", async () => {
  await using t = await setup();
  await downloadToCache(`${t.server.url}/owner/repo/weights.bin`, join(t.cache, "w.bin"), {
    quiet: true,
    headers: { authorization: "Bearer abc" },
  });
  assert.equal(t.server.requests[0].headers.get("authorization"), "Bearer abc");
});
