import assert from "node:assert/strict";
import { join } from "node:path";
import { mirrorPath, needsMirror, STORIES_HF, STORIES_TOK } from "../../test/fixtures/mirror.ts";
import { tempDir } from "../../test/fixtures/temp_dir.ts";
import { loadLlama2cTokenizer } from "./llama2c_tokenizer.ts";
import { loadHfTokenizer } from "./tokenizer.ts";

const TEXTS = [
  "Once upon a time",
  "Hello world! Once upon a time, there was a little girl.",
  "  leading and  double spaces ",
  'Tom said, "Let\'s go!"\nThe end.',
  // Characters not in the 512-token vocabulary: byte fallback.
  "Café naïve — 東京 🙂",
  "x",
];

/** run.c's encoder as written there (rescan all pairs every round), to check the heap version against. */
function runCEncode(text: string, pieces: readonly string[], scores: Float32Array): number[] {
  const ids = new Map<string, number>();
  pieces.forEach((p, i) => ids.has(p) || ids.set(p, i));
  const tokens: number[] = [1];
  if (text) tokens.push(ids.get(" ")!);
  for (const ch of text) {
    const id = ids.get(ch);
    if (id !== undefined) tokens.push(id);
    else for (const b of new TextEncoder().encode(ch)) tokens.push(b + 3);
  }
  for (;;) {
    let best = -1e10, bestId = -1, bestIdx = -1;
    for (let i = 0; i + 1 < tokens.length; i++) {
      const id = ids.get(pieces[tokens[i]] + pieces[tokens[i + 1]]);
      if (id !== undefined && scores[id] > best) [best, bestId, bestIdx] = [scores[id], id, i];
    }
    if (bestIdx < 0) return tokens;
    tokens.splice(bestIdx, 2, bestId);
  }
}

Deno.test("tok512.bin encodes 'Once upon a time' as llama2.c does", async () => {
  const tok = await loadLlama2cTokenizer(STORIES_TOK, 512);
  assert.deepEqual(tok.encode("Once upon a time"), [1, 403, 407, 261, 378]);
  assert.deepEqual(tok.encode("Once upon a time", { addBos: false }), [403, 407, 261, 378]);
  assert.deepEqual(tok.encode(""), [1]);
  assert.equal(tok.vocabSize, 512);
  assert.equal(tok.pieces[1], "\n<s>\n");
  assert.equal(tok.pieces[3 + 0x41], "<0x41>");
});

Deno.test(
  "tok512.bin and stories260K-hf's tokenizer.json give the same ids and texts",
  needsMirror,
  async () => {
    const bin = await loadLlama2cTokenizer(STORIES_TOK);
    const hf = await loadHfTokenizer(STORIES_HF);
    const wiki = (await Deno.readTextFile(mirrorPath("datasets/wikitext-2-raw-v1/wiki.test.raw"))).slice(
      0,
      20000,
    );
    for (const text of [...TEXTS, wiki]) {
      const ids = bin.encode(text);
      assert.deepEqual(ids, hf.encode(text), text.slice(0, 40));
      assert.equal(bin.decode(ids), hf.decode(ids), text.slice(0, 40));
      if (text.length < 200) assert.deepEqual(ids, runCEncode(text, bin.pieces, bin.scores), text);
    }
    // Byte fallback really happens for the emoji: its four UTF-8 bytes as byte pieces 3 + byte.
    const emoji = bin.encode("🙂", { addBos: false });
    assert.deepEqual(emoji.slice(-4), [0xf0, 0x9f, 0x99, 0x82].map((b) => b + 3));
    assert.equal(bin.decode(bin.encode(TEXTS[4])), TEXTS[4]);
    assert.equal(bin.decode([1, 403, 407, 261, 378, 2]), "Once upon a time");
  },
);

Deno.test("loadLlama2cTokenizer refuses missing, truncated and mismatched files", async () => {
  await using tmp = await tempDir();
  const path = join(tmp.path, "tok.bin");
  await assert.rejects(loadLlama2cTokenizer(path), {
    message: `Cannot load tokenizer: ${path}: no such file`,
  });
  const full = await Deno.readFile(STORIES_TOK);
  await Deno.writeFile(path, full.subarray(0, 3000));
  await assert.rejects(
    loadLlama2cTokenizer(path),
    /^ActpatError: Cannot load tokenizer: .*tok\.bin: (truncated at token|token \d+ has byte length)/,
  );
  await assert.rejects(loadLlama2cTokenizer(STORIES_TOK, 32000), {
    message:
      `Cannot load tokenizer: ${STORIES_TOK}: holds 512 tokens but the checkpoint's vocab_size is 32000`,
  });
});
