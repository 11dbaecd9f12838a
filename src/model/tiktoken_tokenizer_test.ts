import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  createTiktokenTokenizer,
  loadQwenTokenizer,
  parseTiktokenRanks,
  QWEN_TIKTOKEN,
  type TiktokenSpec,
} from "./tiktoken_tokenizer.ts";

/**
 * The fixture (test/fixtures/qwen_tiktoken, made by its make_fixture.py): texts with the ids the reference
 * tokenizer gives them (tiktoken 0.14.0 with tokenization_qwen.py's pattern and special tokens over the real
 * 151,643-line qwen.tiktoken of Qwen/Qwen-7B), and the 513 lines of that file those texts touch.
 */
const FIXTURE = new URL("../../test/fixtures/qwen_tiktoken/", import.meta.url);
const SUBSET = fileURLToPath(new URL("qwen_subset.tiktoken", FIXTURE));

interface Case {
  text: string;
  ids: number[];
}

async function expectedCases(): Promise<Case[]> {
  return JSON.parse(await Deno.readTextFile(new URL("expected.json", FIXTURE))).cases;
}

/** Ranks text of the 256 single bytes (rank = byte value) followed by `extra` tokens from rank 256. */
function toyRanks(extra: string[]): string {
  const lines = Array.from({ length: 256 }, (_, b) => `${btoa(String.fromCharCode(b))} ${b}`);
  const utf8 = new TextEncoder();
  extra.forEach((t, i) => lines.push(`${btoa(String.fromCharCode(...utf8.encode(t)))} ${256 + i}`));
  return lines.join("\n") + "\n";
}

const NO_SPECIALS: TiktokenSpec = { ...QWEN_TIKTOKEN, specialTokens: new Map(), endOfText: null };

function toy(extra: string[], spec: TiktokenSpec = NO_SPECIALS) {
  return createTiktokenTokenizer(parseTiktokenRanks(toyRanks(extra), "toy"), spec, "toy");
}

Deno.test("Qwen tokenizer gives the reference tokenizer's ids on every fixture text", async () => {
  const tok = await loadQwenTokenizer(SUBSET);
  const cases = await expectedCases();
  assert.equal(cases.length, 27);
  for (const { text, ids } of cases) assert.deepEqual(tok.encode(text), ids, JSON.stringify(text));
  // tokenization_qwen.py: 208 special tokens from 151643, <|endoftext|> the end of text, no BOS.
  assert.deepEqual([tok.vocabSize, tok.eosTokenId, tok.bosTokenId], [151851, 151643, null]);
  assert.equal(tok.specialTokens.get("<|extra_204|>"), 151850);
  assert.deepEqual(tok.encode("x", { addBos: true }), tok.encode("x"));
});

Deno.test("byte-pair merges by hand: lowest rank first, leftmost on a tie, a whole-piece token wins", () => {
  // "abc": pairs ab (256) and bc (257); ab merges first, then "abc" is no token: [ab, c].
  assert.deepEqual(toy(["ab", "bc"]).encode("abc"), [256, 99]);
  // bc ranked below ab: [a, bc].
  assert.deepEqual(toy(["bc", "ab"]).encode("abc"), [97, 256]);
  // "aaa": both pairs are aa; the left one merges: [aa, a]. "aaaa": [aa, aa] after two merges.
  assert.deepEqual(toy(["aa"]).encode("aaa"), [256, 97]);
  assert.deepEqual(toy(["aa"]).encode("aaaa"), [256, 256]);
  // Merges chain: ab (256), then ab+c (257), then abc+d (258) = the piece.
  assert.deepEqual(toy(["ab", "abc", "abcd"]).encode("abcd"), [258]);
  // "xyz" is a token but unreachable by merges (no xy or yz): the piece as a whole still is that token.
  assert.deepEqual(toy(["xyz"]).encode("xyz"), [256]);
  assert.deepEqual(toy(["xyz"]).encode("xyzx"), [120, 121, 122, 120]);
  // Non-ASCII text is merged over its UTF-8 bytes: é is c3 a9.
  assert.deepEqual(toy([]).encode("é"), [0xc3, 0xa9]);
  assert.deepEqual(toy(["é"]).encode("é"), [256]);
});

Deno.test("pre-tokenizer pieces follow Qwen's pattern (each expected piece a token, so ids name the pieces)", () => {
  // Every split below is also tiktoken 0.14.0's with PAT_STR on the same toy ranks.
  const cases: [string, string[]][] = [
    // A run of spaces before a word keeps one space for the word (\s+(?!\S) backs off one).
    ["Hello world's  end\n", ["Hello", " world", "'s", " ", " end", "\n"]],
    // Contractions case-insensitively, ſ folding to s as in Rust's regex; numbers digit by digit.
    ["I'M 'ſx 42", ["I", "'M", " '", "ſx", " ", "4", "2"]],
    ["x'ſy", ["x", "'ſ", "y"]],
    // Punctuation runs take trailing newlines; whitespace up to a newline is one piece; a tab may lead a word.
    ["a!!\r\n  \n\tb", ["a", "!!\r\n", "  \n", "\tb"]],
    // U+0085 is White_Space (whitespace pieces), U+FEFF is not (a symbol run): JavaScript's \s has it reversed.
    ["a\u0085\u00851", ["a", "\u0085", "\u0085", "1"]],
    ["a\ufeff\ufeff1", ["a", "\ufeff\ufeff", "1"]],
    // Trailing whitespace at the end of the text is one piece.
    ["end   ", ["end", "   "]],
  ];
  for (const [text, pieces] of cases) {
    const multi = [...new Set(pieces.filter((p) => new TextEncoder().encode(p).length > 1))];
    const tok = toy(multi);
    const ids = pieces.map((p) => {
      const i = multi.indexOf(p);
      return i >= 0 ? 256 + i : new TextEncoder().encode(p)[0];
    });
    assert.deepEqual(tok.encode(text), ids, JSON.stringify(text));
  }
});

Deno.test("special tokens are recognised anywhere in text and are never merged with ordinary text", () => {
  const spec: TiktokenSpec = {
    pattern: QWEN_TIKTOKEN.pattern,
    specialTokens: new Map([["<|endoftext|>", 300], ["<|extra_1|>", 301], ["<|extra_10|>", 302]]),
    endOfText: "<|endoftext|>",
  };
  const tok = toy(["ab"], spec);
  assert.deepEqual(tok.encode("a<|endoftext|>b"), [97, 300, 98]);
  assert.deepEqual(tok.encode("<|extra_10|><|extra_1|>"), [302, 301]);
  // A special token splits a would-be pair: "a" and "b" are encoded apart.
  assert.deepEqual(tok.encode("a<|extra_1|>b"), [97, 301, 98]);
  assert.deepEqual(tok.encode("ab"), [256]);
  assert.equal(tok.decode([97, 300, 256]), "aab");
  assert.equal(tok.eosTokenId, 300);
  assert.equal(tok.vocabSize, 303);
});

Deno.test("decode inverts encode (NFC text), leaves special tokens out, replaces invalid UTF-8", async () => {
  const tok = await loadQwenTokenizer(SUBSET);
  for (const { text, ids } of await expectedCases()) {
    const plain = text.normalize("NFC").replace(
      /<\|(endoftext|im_start|im_end|extra_\d+)\|>/g,
      (m) => tok.specialTokens.has(m) ? "" : m,
    );
    assert.equal(tok.decode(ids), plain, JSON.stringify(text));
  }
  // A lone lead byte (c3 of é) is an incomplete UTF-8 sequence: one replacement character.
  const ranks = parseTiktokenRanks(await Deno.readTextFile(SUBSET), SUBSET);
  assert.equal(tok.decode([ranks.get("\xc3")!, ranks.get("a")!]), "\ufffda");
  assert.throws(
    () => tok.decode([151642]),
    /Cannot decode tokens: id 151642 is not a token of .*qwen_subset/,
  );
});

/** An independent byte-pair encoder: the plain loop over byte strings of make_fixture.py. */
function plainBpe(piece: Uint8Array, ranks: Map<string, number>): number[] {
  const key = (b: number[]) => String.fromCharCode(...b);
  if (ranks.has(key([...piece]))) return [ranks.get(key([...piece]))!];
  let parts = [...piece].map((b) => [b]);
  for (;;) {
    let best: [number, number] | null = null;
    for (let i = 0; i + 1 < parts.length; i++) {
      const r = ranks.get(key([...parts[i], ...parts[i + 1]]));
      if (r !== undefined && (best === null || r < best[0])) best = [r, i];
    }
    if (best === null) break;
    const i = best[1];
    parts = [...parts.slice(0, i), [...parts[i], ...parts[i + 1]], ...parts.slice(i + 2)];
  }
  return parts.map((p) => ranks.get(key(p))!);
}

Deno.test("the tokenizer agrees with a plain byte-pair loop on random text over the fixture's ranks", async () => {
  const ranks = parseTiktokenRanks(await Deno.readTextFile(SUBSET), SUBSET);
  const tok = createTiktokenTokenizer(ranks, NO_SPECIALS, SUBSET);
  const pieces = new RegExp(QWEN_TIKTOKEN.pattern, "gu");
  const words = (await expectedCases()).flatMap((c) => c.text.normalize("NFC").split(/(?<=\s)/));
  let state = 7;
  const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (let trial = 0; trial < 200; trial++) {
    const text = Array.from({ length: 1 + Math.floor(next() * 8) }, () => {
      const w = words[Math.floor(next() * words.length)];
      const from = Math.floor(next() * w.length);
      return w.slice(from, from + 1 + Math.floor(next() * 12));
    }).join("");
    const want = [...text.matchAll(pieces)].flatMap((m) => plainBpe(new TextEncoder().encode(m[0]), ranks));
    assert.deepEqual(tok.encode(text), want, JSON.stringify(text));
  }
});

Deno.test("malformed ranks files are refused with the line at fault", () => {
  const bad: [string, RegExp][] = [
    ["YQ== 0\nYg==\n", /toy: line 2 is not "<base64 token> <rank>"/],
    ["YQ== 0\n!!!! 1\n", /toy: line 2: "!!!!" is not base64/],
    ["YQ== 0\nYg== 0\n", /toy: line 2 repeats rank 0/],
    ["YQ== 0\nYQ== 1\n", /toy: line 2 repeats the token of rank 0/],
    ["\n\n", /toy: holds no tokens/],
  ];
  for (const [text, want] of bad) assert.throws(() => parseTiktokenRanks(text, "toy"), want);
  assert.throws(
    () => createTiktokenTokenizer(parseTiktokenRanks("YQ== 0\n", "toy"), NO_SPECIALS, "toy"),
    /Cannot load tokenizer: toy: byte 0 is not a token/,
  );
  const clash = { ...QWEN_TIKTOKEN, specialTokens: new Map([["<|x|>", 5]]) };
  assert.throws(
    () => createTiktokenTokenizer(parseTiktokenRanks(toyRanks([]), "toy"), clash, "toy"),
    /rank 5 is also the id of special token <\|x\|>/,
  );
});
