import assert from "node:assert/strict";
import { join } from "node:path";
import { LLAMA2_TOKENIZER, needsMirror } from "../../test/fixtures/mirror.ts";
import { tempDir } from "../../test/fixtures/temp_dir.ts";
import { loadHfTokenizer } from "./tokenizer.ts";

Deno.test(
  "the Llama-2 tokenizer.json encodes the SOURCE.md check sentence to the published ids",
  needsMirror,
  async () => {
    const tok = await loadHfTokenizer(LLAMA2_TOKENIZER);
    const text = "Hello world! Once upon a time, there was a little girl.";
    const ids = [1, 15043, 3186, 29991, 9038, 2501, 263, 931, 29892, 727, 471, 263, 2217, 7826, 29889];
    assert.deepEqual(tok.encode(text), ids);
    assert.deepEqual(tok.encode(text, { addBos: false }), ids.slice(1));
    assert.equal(tok.decode(ids), text);
    assert.deepEqual([tok.vocabSize, tok.bosTokenId, tok.eosTokenId], [32000, 1, 2]);
  },
);

Deno.test(
  "loadHfTokenizer follows add_bos_token and tolerates a missing tokenizer_config.json",
  needsMirror,
  async () => {
    await using tmp = await tempDir();
    await Deno.copyFile(join(LLAMA2_TOKENIZER, "tokenizer.json"), join(tmp.path, "tokenizer.json"));
    const config = JSON.parse(await Deno.readTextFile(join(LLAMA2_TOKENIZER, "tokenizer_config.json")));
    await Deno.writeTextFile(
      join(tmp.path, "tokenizer_config.json"),
      JSON.stringify({ ...config, add_bos_token: false }),
    );
    assert.deepEqual((await loadHfTokenizer(tmp.path)).encode("Hello"), [15043]);
    await Deno.remove(join(tmp.path, "tokenizer_config.json"));
    // No tokenizer_config.json nor special_tokens_map.json: BOS is unknown, so nothing is prepended.
    const bare = await loadHfTokenizer(tmp.path);
    assert.equal(bare.bosTokenId, null);
    assert.deepEqual(bare.encode("Hello"), [15043]);
  },
);

Deno.test("loadHfTokenizer names a missing or corrupt tokenizer.json", async () => {
  await using tmp = await tempDir();
  const path = join(tmp.path, "tokenizer.json");
  await assert.rejects(loadHfTokenizer(tmp.path), {
    message: `Cannot load tokenizer: ${path}: no such file`,
  });
  await Deno.writeTextFile(path, "{");
  await assert.rejects(
    loadHfTokenizer(tmp.path),
    /^ActpatError: Cannot load tokenizer: .*tokenizer\.json is not valid JSON/,
  );
});
