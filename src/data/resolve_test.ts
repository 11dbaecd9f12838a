import assert from "node:assert/strict";
import { needsMirror } from "../../test/fixtures/mirror.ts";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { serveFolder } from "../../test/fixtures/file_server.ts";
import type { SplitSource } from "./dataset_spec.ts";
import { resolveSplitFiles, splitAvailability } from "./resolve.ts";
import { testMirror } from "../../test/fixtures/datasets.ts";

const SHA = "ebc29ea3808c5c611672384b3de56e83349fe38fc1fe876fd29b674d81d0a80a"; // boolq dev.jsonl (SOURCE.md)
const location = { dataset: "boolq", folder: "boolq", split: "validation" };

function source(url: string, sha256?: string, file = "dev.jsonl"): SplitSource {
  return { origin: "publisher", files: [{ file, format: "jsonl", url, sha256 }], toDocs: ([r]) => r };
}

Deno.test(
  "a split not in the mirror is downloaded into the cache once, then read from the cache",
  needsMirror,
  async () => {
    const server = serveFolder(testMirror());
    const cache = await Deno.makeTempDir();
    try {
      const sources = [source(`${server.url}/datasets/boolq/dev.jsonl`, SHA)];
      const first = await resolveSplitFiles(location, sources, { mirror: null, cache, quiet: true });
      assert.equal(first.files[0].from, "download");
      assert.equal(first.files[0].sha256, SHA);
      assert.equal(first.files[0].bytes, 2238726);
      assert.equal(first.files[0].path, join(cache, "datasets/boolq/dev.jsonl"));
      assert.equal(server.requests.length, 1);
      const second = await resolveSplitFiles(location, sources, { mirror: null, cache, quiet: true });
      assert.equal(second.files[0].from, "cache");
      assert.equal(second.files[0].sha256, SHA);
      assert.equal(server.requests.length, 1, "the cached file is used without a request");
      assert.equal(await splitAvailability("boolq", sources, { mirror: null, cache }), "cache");
    } finally {
      await server.close();
      await Deno.remove(cache, { recursive: true });
    }
  },
);

Deno.test("download failures are reported; the next source is tried", needsMirror, async () => {
  const server = serveFolder(testMirror());
  const cache = await Deno.makeTempDir();
  try {
    const missing = source(`${server.url}/datasets/boolq/missing.jsonl`, undefined, "missing.jsonl");
    const wrongSha = source(`${server.url}/datasets/boolq/dev.jsonl`, "0".repeat(64), "other.jsonl");
    const good = source(`${server.url}/datasets/boolq/dev.jsonl`, SHA);
    await assert.rejects(
      resolveSplitFiles(location, [missing, wrongSha], { mirror: null, cache, quiet: true }),
      (err: Error) => {
        assert.match(err.message, /^Cannot load dataset "boolq": split "validation" is not in the mirror/);
        assert.match(
          err.message,
          /download http:\/\/127\.0\.0\.1:\d+\/datasets\/boolq\/missing\.jsonl: not found \(HTTP 404\)/,
        );
        assert.match(err.message, /sha256 mismatch \(expected 0{64}, got ebc29ea3/);
        return true;
      },
    );
    // Nothing half-written stays in the cache.
    const left = [...Deno.readDirSync(join(cache, "datasets/boolq"))].map((e) => e.name);
    assert.deepEqual(left, []);
    const got = await resolveSplitFiles(location, [missing, good], { mirror: null, cache, quiet: true });
    assert.equal(got.source, [missing, good][1]);
    assert.equal(got.files[0].from, "download");
  } finally {
    await server.close();
    await Deno.remove(cache, { recursive: true });
  }
});

Deno.test("availability: mirror, cache, downloadable, unavailable", needsMirror, async () => {
  const cache = await Deno.makeTempDir();
  try {
    const mirrored = source("https://example.invalid/dev.jsonl");
    assert.equal(await splitAvailability("boolq", [mirrored], { mirror: testMirror(), cache }), "mirror");
    assert.equal(await splitAvailability("boolq", [mirrored], { mirror: null, cache }), "downloadable");
    const noUrl: SplitSource = { ...mirrored, files: [{ file: "wiki.train.raw", format: "wikitext-raw" }] };
    assert.equal(await splitAvailability("boolq", [noUrl], { mirror: null, cache }), "unavailable");
    await assert.rejects(
      resolveSplitFiles(location, [noUrl], { mirror: null, cache }),
      /download failed \(wiki\.train\.raw: no download URL\)/,
    );
    // A file placed in the cache by hand (no URL to re-fetch it from) is hashed and used.
    await Deno.mkdir(join(cache, "datasets/boolq"), { recursive: true });
    await Deno.writeTextFile(join(cache, "datasets/boolq/wiki.train.raw"), " \n");
    const got = await resolveSplitFiles(location, [noUrl], { mirror: null, cache });
    assert.equal(got.files[0].from, "cache");
    assert.equal(got.files[0].sha256, createHash("sha256").update(" \n").digest("hex"));
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
});
