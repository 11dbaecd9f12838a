import assert from "node:assert/strict";
import { join } from "node:path";
import { serveFolder } from "../../test/fixtures/file_server.ts";
import { serveHub } from "../../test/fixtures/hub_server.ts";
import {
  MIRROR,
  needsMirror,
  STORIES_BIN,
  STORIES_HF,
  STORIES_HF_MIRROR,
} from "../../test/fixtures/mirror.ts";
import { tempDir } from "../../test/fixtures/temp_dir.ts";
import { parseHubRef, resolveModel } from "./resolve_model.ts";
import { writeSafetensors } from "./safetensors_writer.ts";

/**
 * A loopback "hub" serving `/<owner>/<repo>/resolve/main/<file>`: test/stories (stories260K-hf, single file),
 * test/sharded (two shards + index) and karpathy/tinyllamas (a file standing for the llama2.c checkpoint).
 */
const LLAMA2C_STAND_IN = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7) % 251);

async function fakeHub() {
  const tmp = await tempDir();
  const served = join(tmp.path, "served");
  const stories = join(served, "test/stories/resolve/main");
  await Deno.mkdir(stories, { recursive: true });
  for (const f of ["config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors"]) {
    await Deno.copyFile(join(STORIES_HF, f), join(stories, f));
  }
  const sharded = join(served, "test/sharded/resolve/main/sub");
  await Deno.mkdir(sharded, { recursive: true });
  await Deno.copyFile(join(STORIES_HF, "config.json"), join(sharded, "config.json"));
  await Deno.copyFile(join(STORIES_HF, "tokenizer.json"), join(sharded, "tokenizer.json"));
  for (const [i, name] of ["a", "b"].entries()) {
    await writeSafetensors(join(sharded, `model-0000${i + 1}-of-00002.safetensors`), [
      { name, shape: [1], dtype: "F32", data: new Float32Array([i]) },
    ], { quiet: true });
  }
  await Deno.writeTextFile(
    join(sharded, "model.safetensors.index.json"),
    JSON.stringify({
      weight_map: { a: "model-00001-of-00002.safetensors", b: "model-00002-of-00002.safetensors" },
    }),
  );
  const llama2c = join(served, "karpathy/tinyllamas/resolve/main/stories260K");
  await Deno.mkdir(llama2c, { recursive: true });
  await Deno.writeFile(join(llama2c, "stories260K.bin"), LLAMA2C_STAND_IN);
  const server = serveFolder(served);
  const cacheDir = join(tmp.path, "cache");
  return {
    server,
    cacheDir,
    options: { mirror: null, embedded: null, cacheDir, endpoint: server.url, quiet: true },
    async [Symbol.asyncDispose]() {
      await server.close();
      await tmp[Symbol.asyncDispose]();
    },
  };
}

Deno.test("parseHubRef splits owner, repo and path, and rejects non-ids", () => {
  assert.deepEqual(parseHubRef("karpathy/tinyllamas/stories260K/stories260K.bin"), {
    owner: "karpathy",
    repo: "tinyllamas",
    path: "stories260K/stories260K.bin",
  });
  assert.deepEqual(parseHubRef("meta-llama/Llama-2-7b-hf"), {
    owner: "meta-llama",
    repo: "Llama-2-7b-hf",
    path: "",
  });
  for (const bad of ["stories260K-hf", "a/../b", "a//b", "a/b c"]) assert.equal(parseHubRef(bad), null, bad);
});

Deno.test("resolveModel prefers a local path, then the repository's models/, then the mirror", async () => {
  const local = await resolveModel(STORIES_HF, { mirror: null });
  assert.deepEqual(local, { ref: STORIES_HF, path: STORIES_HF, isFile: false, source: "local" });
  await using tmp = await tempDir();
  const mirror = join(tmp.path, "mirror");
  await Deno.mkdir(join(mirror, "models/stories260K-hf"), { recursive: true });
  // The embedded copy wins over a mirror holding the same reference.
  const embedded = await resolveModel("stories260K-hf", { mirror });
  assert.deepEqual(embedded, { ref: "stories260K-hf", path: STORIES_HF, isFile: false, source: "embedded" });
  const mirrored = await resolveModel("stories260K-hf", { mirror, embedded: null });
  assert.deepEqual(mirrored, {
    ref: "stories260K-hf",
    path: join(mirror, "models/stories260K-hf"),
    isFile: false,
    source: "mirror",
  });
  // A reference that climbs out of models/ is not looked up there.
  await assert.rejects(
    resolveModel("stories260K-hf/../stories260K-hf", { mirror: null, cacheDir: tmp.path }),
  );
});

Deno.test("resolveModel finds the real checkpoints in the mirror", needsMirror, async () => {
  const ref = "karpathy/tinyllamas/stories260K/stories260K.bin";
  const mirrored = await resolveModel(ref, { mirror: MIRROR, embedded: null });
  assert.deepEqual(mirrored, { ref, path: STORIES_BIN, isFile: true, source: "mirror" });
  assert.equal(
    (await resolveModel("stories260K-hf", { mirror: MIRROR, embedded: null })).path,
    STORIES_HF_MIRROR,
  );
});

Deno.test("resolveModel downloads a single-file checkpoint folder from the hub once", async () => {
  await using hub = await fakeHub();
  const got = await resolveModel("test/stories", hub.options);
  assert.deepEqual(got, {
    ref: "test/stories",
    path: join(hub.cacheDir, "hub/test/stories"),
    isFile: false,
    source: "hub",
  });
  for (const f of ["config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors"]) {
    assert.deepEqual(await Deno.readFile(join(got.path, f)), await Deno.readFile(join(STORIES_HF, f)), f);
  }
  assert.ok(hub.server.requests.every((r) => r.path.startsWith("/test/stories/resolve/main/")));
  const count = hub.server.requests.length;
  await resolveModel("test/stories", hub.options);
  assert.equal(hub.server.requests.length, count, "second resolution must not touch the network");
});

Deno.test("resolveModel downloads the shard index and every shard of a folder inside a repo", async () => {
  await using hub = await fakeHub();
  const got = await resolveModel("test/sharded/sub", hub.options);
  const files = [...Deno.readDirSync(got.path)].map((e) => e.name).filter((n) =>
    !n.endsWith(".download.json")
  )
    .sort();
  assert.deepEqual(files, [
    ".actpat-complete.json",
    "config.json",
    "model-00001-of-00002.safetensors",
    "model-00002-of-00002.safetensors",
    "model.safetensors.index.json",
    "tokenizer.json",
  ]);
  // model.safetensors itself is never requested once the index exists.
  assert.ok(!hub.server.requests.some((r) => r.path.endsWith("/model.safetensors")));
});

Deno.test("resolveModel downloads a file inside a repo and a tokenizer-only folder", async () => {
  await using hub = await fakeHub();
  const bin = await resolveModel("karpathy/tinyllamas/stories260K/stories260K.bin", hub.options);
  assert.equal(bin.isFile, true);
  assert.deepEqual(await Deno.readFile(bin.path), LLAMA2C_STAND_IN);
  const tok = await resolveModel("test/stories", { ...hub.options, tokenizerOnly: true });
  assert.ok(await Deno.stat(join(tok.path, "tokenizer.json")));
  assert.ok(!hub.server.requests.some((r) => r.path.endsWith("model.safetensors")));
});

Deno.test("resolveModel explains refs it cannot find", async () => {
  await using hub = await fakeHub();
  await assert.rejects(resolveModel("test/absent", hub.options), {
    message:
      `Cannot resolve model test/absent: ${hub.server.url}/test/absent/resolve/main/config.json does not exist (HTTP 404)`,
  });
  await assert.rejects(resolveModel("test/absent/x.bin", hub.options), {
    message: `Cannot download ${hub.server.url}/test/absent/resolve/main/x.bin: not found (HTTP 404)`,
  });
  await assert.rejects(resolveModel("./nope/model", hub.options), {
    message: "Cannot resolve model ./nope/model: no such file or directory",
  });
  await assert.rejects(resolveModel("not-a-model", { ...hub.options, mirror: "/nonexistent/mirror" }), {
    message:
      "Cannot resolve model not-a-model: not a local path, not in the mirror (/nonexistent/mirror/models/not-a-model), " +
      "and not a hub id owner/repo[/path]",
  });
});

Deno.test("a reference with '..' cannot leave the mirror or the cache: refused with a clear error", async () => {
  await using tmp = await tempDir();
  const mirror = join(tmp.path, "mirror");
  await Deno.mkdir(join(mirror, "models"), { recursive: true });
  // What `a/../../../../etc` would reach by joining: a folder that exists, outside the mirror root.
  await Deno.mkdir(join(tmp.path, "etc"));
  const ref = "a/../../../etc";
  assert.ok((await Deno.stat(join(mirror, "models", ref))).isDirectory, "the escape target exists");
  for (
    const [options, root] of [
      [{ mirror }, join(mirror, "models")],
      [{ mirror: null, cacheDir: join(tmp.path, "cache") }, join(tmp.path, "cache/hub")],
    ] as const
  ) {
    await assert.rejects(resolveModel(ref, options), {
      name: "ActpatError",
      message:
        `Cannot resolve model ${ref}: "${ref}" would leave ${root} (no "..", absolute or backslashed ` +
        "segments in a mirror or hub reference); give a local path starting with ./ or / for a folder elsewhere",
    });
  }
  await assert.rejects(resolveModel("a/../../../../etc", { mirror: MIRROR }), /would leave/);
  await assert.rejects(resolveModel("owner\\..\\..\\etc", { mirror }), /would leave/);
});

Deno.test("a hub folder cached by an older version (no verified marker) is verified again against the hub", async () => {
  await using tmp = await tempDir();
  const served = join(tmp.path, "served/test/stories/resolve/main");
  await Deno.mkdir(served, { recursive: true });
  for (const f of ["config.json", "tokenizer.json", "model.safetensors"]) {
    await Deno.copyFile(join(STORIES_HF, f), join(served, f));
  }
  const server = serveHub(join(tmp.path, "served"), {
    lfs: ["/test/stories/resolve/main/model.safetensors"],
  });
  try {
    const cacheDir = join(tmp.path, "cache");
    const options = { mirror: null, cacheDir, endpoint: server.url, quiet: true };
    const dir = join(cacheDir, "hub/test/stories");
    // The older version's cache: every file, a marker without `verified`, one file damaged in place.
    await Deno.mkdir(dir, { recursive: true });
    for (const f of ["config.json", "tokenizer.json", "model.safetensors"]) {
      await Deno.copyFile(join(STORIES_HF, f), join(dir, f));
    }
    const weights = await Deno.readFile(join(dir, "model.safetensors"));
    weights[weights.length - 1] ^= 1;
    await Deno.writeFile(join(dir, "model.safetensors"), weights);
    await Deno.writeTextFile(
      join(dir, ".actpat-complete.json"),
      JSON.stringify({ ref: "test/stories", files: [] }),
    );

    await resolveModel("test/stories", options);
    assert.deepEqual(
      await Deno.readFile(join(dir, "model.safetensors")),
      await Deno.readFile(join(STORIES_HF, "model.safetensors")),
      "the damaged weights were replaced by the hub's",
    );
    const fetched = server.requests.filter((r) => r.method === "GET").map((r) => r.path);
    assert.deepEqual(fetched, [
      "/test/stories/resolve/main/tokenizer_config.json",
      "/test/stories/resolve/main/special_tokens_map.json",
      "/test/stories/resolve/main/generation_config.json",
      "/test/stories/resolve/main/model.safetensors.index.json",
      "/test/stories/resolve/main/model.safetensors",
      "/cdn/test/stories/resolve/main/model.safetensors",
    ], "intact files are verified with HEAD only; the optional ones are asked for");
    const marker = JSON.parse(await Deno.readTextFile(join(dir, ".actpat-complete.json")));
    assert.equal(marker.verified, true);
    const count = server.requests.length;
    await resolveModel("test/stories", options);
    assert.equal(server.requests.length, count, "verified: no network the next time");
  } finally {
    await server.close();
  }
});
