/**
 * The files the repository embeds for the default configuration (datasets/README.md): each loads from the
 * repository alone, matches the registry's and the README's sha256, and is, byte for byte, the first lines of
 * the mirror's file it was cut from.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MIRROR, mirrorPath, needsMirror } from "../../test/fixtures/mirror.ts";
import { readReproduceConfig } from "../experiments/reproduce/mod.ts";
import { loadSplit } from "./load.ts";
import { DATASETS } from "./registry.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Every file under models/ but the SOURCE.md notes, relative to models/. */
const MODEL_FILES: string[] = (() => {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of Deno.readDirSync(join(ROOT, "models", dir))) {
      const rel = dir ? `${dir}/${e.name}` : e.name;
      if (e.isDirectory) walk(rel);
      else if (e.name !== "SOURCE.md") out.push(rel);
    }
  };
  walk("");
  return out.sort();
})();

/** Every (dataset, split) whose files are all in datasets/ (the pieces, and whole files embedded as they are). */
function embeddedSplits(): { name: string; split: string; folder: string }[] {
  const out = [];
  for (const name of DATASETS.names()) {
    const spec = DATASETS.get(name);
    const folder = spec.folder ?? name;
    for (const [split, s] of Object.entries(spec.splits)) {
      const files = s.sources[0].files.map((f) => join(ROOT, "datasets", folder, f.file));
      if (files.every(exists)) {
        out.push({ name, split, folder });
      }
    }
  }
  return out;
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** `| \`file\` | ... | bytes | \`sha256\` |` rows of datasets/README.md: file → sha256. */
function readmeDigests(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^\| `([^`]+)`[^\n]*?\| `([0-9a-f]{64})` \|/gm)) out.set(m[1], m[2]);
  return out;
}

Deno.test("every split the default config reads loads from the repository alone, with its own row count", async () => {
  const config = await readReproduceConfig();
  const cache = await Deno.makeTempDir({ prefix: "actpat_embedded_" });
  try {
    const found = embeddedSplits().map((s) => `${s.name}/${s.split}`).sort();
    // The default config's splits, its STS split, and humaneval whose whole test file is embedded.
    const read = [
      ...Object.entries(config.splits).map(([n, s]) => `${n}/${s}`),
      ...config.sts!.benchmarks.map((b) => `${b}/${config.sts!.split}`),
      "humaneval/test",
    ];
    assert.deepEqual(found, read.sort());
    for (const { name, split } of embeddedSplits()) {
      const loaded = await loadSplit(name, split, { mirror: null, cache, download: false });
      assert.ok(loaded.files.every((f) => f.from === "embedded"), `${name}/${split}`);
      assert.equal(loaded.docs.length, DATASETS.get(name).splits[split].rows, `${name}/${split}`);
    }
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
});

Deno.test("datasets/README.md lists every embedded file with its sha256, as the registry does", async () => {
  const readme = readmeDigests(await Deno.readTextFile(join(ROOT, "datasets/README.md")));
  let files = 0;
  for (const { name, split, folder } of embeddedSplits()) {
    for (const f of DATASETS.get(name).splits[split].sources[0].files) {
      const bytes = await Deno.readFile(join(ROOT, "datasets", folder, f.file));
      const digest = sha256(bytes);
      assert.equal(f.sha256, digest, `registry ${folder}/${f.file}`);
      assert.equal(f.bytes, bytes.length, `registry ${folder}/${f.file} bytes`);
      assert.equal(readme.get(`${folder}/${f.file}`), digest, `README ${folder}/${f.file}`);
      files++;
    }
  }
  assert.equal(files, 12);
  assert.equal(MODEL_FILES.length, 8);
  for (const file of MODEL_FILES) {
    const digest = sha256(await Deno.readFile(join(ROOT, "models", file)));
    assert.equal(readme.get(file), digest, `README ${file}`);
  }
});

Deno.test(
  "each embedded piece is the first lines of the mirror's file, byte for byte",
  needsMirror,
  async () => {
    let pieces = 0;
    for (const name of DATASETS.names()) {
      const spec = DATASETS.get(name);
      const folder = spec.folder ?? name;
      for (const s of Object.values(spec.splits)) {
        for (const f of s.sources.flatMap((src) => src.files)) {
          if (!f.prefixOf) continue;
          let original: Uint8Array = await Deno.readFile(mirrorPath(`datasets/${folder}/${f.prefixOf.file}`));
          if (f.prefixOf.file.endsWith(".gz")) original = new Uint8Array(gunzipSync(original));
          // The offset just past the `lines`-th "\n".
          let end = 0;
          for (let n = 0; n < f.prefixOf.lines; n++) end = original.indexOf(0x0a, end) + 1;
          assert.ok(end > 0);
          const piece = await Deno.readFile(join(ROOT, "datasets", folder, f.file));
          assert.deepEqual(piece, original.subarray(0, end), `${folder}/${f.file}`);
          pieces++;
        }
      }
    }
    assert.equal(pieces, 11);
    // The whole files embedded as they are.
    for (const file of ["humaneval/HumanEval.jsonl.gz"]) {
      assert.deepEqual(
        await Deno.readFile(join(ROOT, "datasets", file)),
        await Deno.readFile(`${MIRROR}/datasets/${file}`),
      );
    }
    for (const file of MODEL_FILES) {
      assert.deepEqual(
        await Deno.readFile(join(ROOT, "models", file)),
        await Deno.readFile(mirrorPath(`models/${file}`)),
        file,
      );
    }
  },
);
