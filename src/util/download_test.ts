import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { serveFolder } from "../../test/fixtures/file_server.ts";
import { type HubOptions, serveHub } from "../../test/fixtures/hub_server.ts";
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

/** The names in `dest`'s folder: what a download left behind. */
async function siblings(dest: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dirname(dest)))).map((e) => e.name).sort();
}

Deno.test("downloadToCache fetches a file, records its sha256 and reuses it without a second request", async () => {
  await using t = await setup();
  const dest = join(t.cache, "hub/owner/repo/weights.bin");
  const url = `${t.server.url}/owner/repo/weights.bin`;
  const got = await downloadToCache(url, dest, { quiet: true, sha256: hex(t.data) });
  assert.deepEqual(got, { path: dest, sha256: hex(t.data), bytes: t.data.length, verifiedBy: "expected" });
  assert.deepEqual(await Deno.readFile(dest), t.data);
  const sidecar = JSON.parse(await Deno.readTextFile(dest + ".download.json"));
  assert.deepEqual([sidecar.sha256, sidecar.bytes, sidecar.verifiedBy], [
    hex(t.data),
    t.data.length,
    "expected",
  ]);
  assert.deepEqual(await siblings(dest), ["weights.bin", "weights.bin.download.json"]);
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
  // A killed process's partial file (another pid), a shorter one, and the partial file of another file.
  await Deno.writeFile(`${dest}.4000000.partial`, t.data.subarray(0, 123_456));
  await Deno.writeFile(`${dest}.partial`, t.data.subarray(0, 1000));
  await Deno.writeFile(`${dest}.other.4000001.partial`, new Uint8Array(7));
  const url = `${t.server.url}/owner/repo/weights.bin`;
  const got = await downloadToCache(url, dest, { quiet: true, retries: 0 });
  assert.equal(got.sha256, hex(t.data));
  assert.equal(await sha256File(dest), hex(t.data));
  assert.deepEqual(t.server.requests.map((r) => r.range), ["bytes=123456-"]);
  assert.deepEqual(await siblings(dest), [
    "weights.bin",
    "weights.bin.download.json",
    "weights.bin.other.4000001.partial",
  ]);
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
  assert.equal((await Deno.stat(`${dest}.${Deno.pid}.partial`)).size, 150_000);
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
  assert.deepEqual(await siblings(dest), []);
});

Deno.test("downloadToCache removes a download whose sha256 does not match", async () => {
  await using t = await setup();
  const dest = join(t.cache, "weights.bin");
  const url = `${t.server.url}/owner/repo/weights.bin`;
  const wrong = "0".repeat(64);
  await assert.rejects(downloadToCache(url, dest, { quiet: true, sha256: wrong }), {
    name: "ActpatError",
    message:
      `Cannot download ${url}: sha256 mismatch (expected ${wrong}, got ${hex(t.data)}); the file was ` +
      "not kept (run again; if this persists, the server or a proxy on the way serves a damaged file)",
  });
  assert.deepEqual(await siblings(dest), []);
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

/** A fake hub serving `o/r/resolve/main/{model.safetensors (LFS), config.json}`, and a cache folder. */
async function hub(options: Omit<HubOptions, "lfs"> & { corrupt?: boolean } = {}) {
  const root = await Deno.makeTempDir({ prefix: "actpat_hub_" });
  const dir = join(root, "served/o/r/resolve/main");
  await Deno.mkdir(dir, { recursive: true });
  const weights = new Uint8Array(200_000).map((_, i) => (i * 40503) >>> 8);
  const config = new TextEncoder().encode('{"model_type": "llama"}\n');
  const served = options.corrupt ? weights.map((b, i) => i === 77_777 ? b ^ 1 : b) : weights;
  await Deno.writeFile(join(dir, "model.safetensors"), served);
  await Deno.writeFile(join(dir, "config.json"), config);
  const lfs = "/o/r/resolve/main/model.safetensors";
  const statedSha256 = options.corrupt ? new Map([[lfs, hex(weights)]]) : options.statedSha256;
  const server = serveHub(join(root, "served"), { ...options, statedSha256, lfs: [lfs] });
  const base = `${server.url}/o/r/resolve/main`;
  return {
    root,
    cache: join(root, "cache"),
    weights,
    config,
    server,
    base,
    async [Symbol.asyncDispose]() {
      await server.close();
      await Deno.remove(root, { recursive: true });
    },
  };
}

Deno.test("an LFS file is checked against the sha256 the hub states in X-Linked-Etag", async () => {
  await using h = await hub();
  const dest = join(h.cache, "model.safetensors");
  const got = await downloadToCache(`${h.base}/model.safetensors`, dest, { quiet: true });
  assert.deepEqual(got, {
    path: dest,
    sha256: hex(h.weights),
    bytes: h.weights.length,
    verifiedBy: "sha256",
  });
  // The hub's redirect is followed by hand so its headers are seen; the bytes come from the CDN.
  assert.deepEqual(h.server.requests.map((r) => `${r.method} ${r.path}`), [
    "GET /o/r/resolve/main/model.safetensors",
    "GET /cdn/o/r/resolve/main/model.safetensors",
  ]);
  const sidecar = JSON.parse(await Deno.readTextFile(dest + ".download.json"));
  assert.deepEqual([sidecar.verifiedBy, sidecar.stated], ["sha256", "X-Linked-Etag"]);
});

Deno.test("a corrupt LFS file served with the true sha256 in X-Linked-Etag is refused and nothing is cached", async () => {
  await using h = await hub({ corrupt: true });
  const dest = join(h.cache, "model.safetensors");
  const url = `${h.base}/model.safetensors`;
  const corrupt = await Deno.readFile(join(h.root, "served/o/r/resolve/main/model.safetensors"));
  await assert.rejects(downloadToCache(url, dest, { quiet: true }), {
    name: "ActpatError",
    message: `Cannot download ${url}: sha256 mismatch (the hub states ${hex(h.weights)} in X-Linked-Etag, ` +
      `got ${hex(corrupt)}); the file was not kept (run again; if this persists, the server or a proxy on ` +
      "the way serves a damaged file)",
  });
  assert.deepEqual(await siblings(dest), []);
});

Deno.test("a file kept in git is checked against its git blob id, the hub's ETag", async () => {
  const wrong = "f".repeat(40);
  {
    await using h = await hub();
    const dest = join(h.cache, "config.json");
    const got = await downloadToCache(`${h.base}/config.json`, dest, { quiet: true });
    assert.equal(got.verifiedBy, "git-sha1");
    assert.deepEqual(await Deno.readFile(dest), h.config);
  }
  {
    await using h = await hub({ statedSha256: new Map([["/o/r/resolve/main/config.json", wrong]]) });
    const dest = join(h.cache, "config.json");
    // git hash-object of the served bytes, computed independently of the code under test.
    const blob = createHash("sha1").update(`blob ${h.config.length}\0`).update(h.config).digest("hex");
    await assert.rejects(
      downloadToCache(`${h.base}/config.json`, dest, { quiet: true }),
      new RegExp(`git blob id mismatch \\(the hub states ${wrong} in ETag, got ${blob}\\)`),
    );
    assert.deepEqual(await siblings(dest), []);
  }
});

Deno.test("a cached file without a verified digest is verified before reuse; a damaged one is fetched again", async () => {
  await using h = await hub();
  const url = `${h.base}/model.safetensors`;
  // An older version's cache entry: the file and a `sha256sum` sidecar, never checked against the hub.
  const good = join(h.cache, "good/model.safetensors");
  await Deno.mkdir(dirname(good), { recursive: true });
  await Deno.writeFile(good, h.weights);
  await Deno.writeTextFile(good + ".sha256", `${hex(h.weights)}  model.safetensors\n`);
  const reused = await downloadToCache(url, good, { quiet: true });
  assert.equal(reused.verifiedBy, "sha256");
  assert.deepEqual(
    h.server.requests.map((r) => r.method),
    ["HEAD"],
    "verified by a HEAD request, not fetched",
  );
  assert.deepEqual(await siblings(good), ["model.safetensors", "model.safetensors.download.json"]);
  // Verified once: the next reuse asks nothing.
  await downloadToCache(url, good, { quiet: true });
  assert.equal(h.server.requests.length, 1);

  // A damaged cached file whose old sidecar records the damaged file's own digest.
  const bad = join(h.cache, "bad/model.safetensors");
  const damaged = h.weights.map((b, i) => i === 5 ? b ^ 0x80 : b);
  await Deno.mkdir(dirname(bad), { recursive: true });
  await Deno.writeFile(bad, damaged);
  await Deno.writeTextFile(bad + ".sha256", `${hex(damaged)}  model.safetensors\n`);
  const fixed = await downloadToCache(url, bad, { quiet: true });
  assert.deepEqual([fixed.sha256, fixed.verifiedBy], [hex(h.weights), "sha256"]);
  assert.deepEqual(await Deno.readFile(bad), h.weights);
});

Deno.test("a cached file that cannot be verified (server unreachable) is used and marked unverified", async () => {
  const root = await Deno.makeTempDir({ prefix: "actpat_dl_" });
  try {
    const dest = join(root, "model.safetensors");
    await Deno.writeFile(dest, new Uint8Array([1, 2, 3]));
    // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    const got = await downloadToCache("http://127.0.0.1:9/o/r/resolve/main/model.safetensors", dest, {
      quiet: true,
    });
    assert.deepEqual(got, { path: dest, sha256: hex(new Uint8Array([1, 2, 3])), bytes: 3, verifiedBy: null });
    assert.equal(await exists(dest + ".download.json"), false, "left to be verified next time");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("two processes downloading one file into one cache both succeed; one of them downloads it", async () => {
  // 200 kB in 10 kB chunks 20 ms apart: a transfer of about 0.4 s, so the two processes overlap.
  await using h = await hub({ chunk: { bytes: 10_000, delayMs: 20 } });
  const dest = join(h.cache, "model.safetensors");
  const child = fileURLToPath(new URL("../../test/fixtures/download_child.ts", import.meta.url));
  const run = () =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-check", child, `${h.base}/model.safetensors`, dest],
      stdout: "piped",
      stderr: "piped",
    }).output();
  const outs = await Promise.all([run(), run()]);
  const dec = new TextDecoder();
  for (const o of outs) assert.equal(o.code, 0, dec.decode(o.stderr));
  const results = outs.map((o) => JSON.parse(dec.decode(o.stdout)));
  for (const r of results) assert.deepEqual([r.sha256, r.bytes], [hex(h.weights), h.weights.length]);
  assert.deepEqual(await Deno.readFile(dest), h.weights);
  const bodies = h.server.requests.filter((r) => r.method === "GET" && r.path.startsWith("/cdn/"));
  assert.equal(bodies.length, 1, "one process downloads, the other waits and reuses it");
  assert.deepEqual(await siblings(dest), ["model.safetensors", "model.safetensors.download.json"]);
});
