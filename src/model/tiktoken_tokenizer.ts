/**
 * tiktoken byte-pair encoding in TypeScript, and the Qwen (v1) tokenizer built on it (`qwen.tiktoken` of the
 * hub repository Qwen/Qwen-7B, read as `tokenization_qwen.py` reads it).
 *
 * The algorithm is tiktoken's: the text is split around special tokens; each stretch between them is cut into
 * pieces by the encoding's pattern; a piece that is a token as a whole is that token, any other piece starts
 * as single bytes and repeatedly merges the adjacent pair whose concatenation has the lowest rank (the
 * leftmost one on a tie) until no adjacent pair is a token.
 */
import { ActpatError } from "../util/errors.ts";
import type { Tokenizer } from "./tokenizer.ts";

/** What makes a tiktoken encoding besides its ranks: the pre-tokenizer pattern and the special tokens. */
export interface TiktokenSpec {
  /** The pre-tokenizer pattern as a JavaScript regular expression source (compiled with flags `gu`). */
  pattern: string;
  /** Special tokens and their ids, matched verbatim anywhere in the text. */
  specialTokens: ReadonlyMap<string, number>;
  /** The special token that ends a document (EOS); null if none. */
  endOfText: string | null;
}

/** The file name Qwen (v1) checkpoints keep their ranks in (`VOCAB_FILES_NAMES` of tokenization_qwen.py). */
export const QWEN_TIKTOKEN_FILE = "qwen.tiktoken";

/** First id of Qwen's special tokens, fixed in tokenization_qwen.py whatever the ranks file holds. */
const QWEN_SPECIAL_START_ID = 151643;

/**
 * `PAT_STR` of tokenization_qwen.py with `\s` spelled `\p{White_Space}` and `\S` `\P{White_Space}`: tiktoken's
 * regex engine (Rust, Unicode-aware) reads `\s` as the White_Space property, JavaScript's `\s` differs on
 * U+0085 (not in it) and U+FEFF (in it). `(?i:...)` folds case as Rust does (`'ſ` matches `'s`).
 */
const QWEN_PATTERN = String
  .raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\p{White_Space}\p{L}\p{N}]+[\r\n]*|\p{White_Space}*[\r\n]+|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+`;

/** `<|endoftext|>`, `<|im_start|>`, `<|im_end|>`, then `<|extra_0|>` … `<|extra_204|>`, from id 151643. */
const QWEN_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"].concat(
  Array.from({ length: 205 }, (_, i) => `<|extra_${i}|>`),
);

/** Qwen (v1)'s encoding (tokenization_qwen.py): its pattern and its 208 special tokens. */
export const QWEN_TIKTOKEN: TiktokenSpec = {
  pattern: QWEN_PATTERN,
  specialTokens: new Map(QWEN_SPECIALS.map((t, i) => [t, QWEN_SPECIAL_START_ID + i])),
  endOfText: "<|endoftext|>",
};

/**
 * Ranks of a `.tiktoken` file: one `base64(token) rank` per line (empty lines skipped), keyed by the token's
 * bytes as a binary string (one char per byte). Duplicate tokens or ranks are refused.
 */
export function parseTiktokenRanks(text: string, source: string): Map<string, number> {
  const fail = (detail: string) => new ActpatError("load tokenizer", `${source}: ${detail}`);
  const ranks = new Map<string, number>();
  const seen = new Set<number>();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, "");
    if (line === "") continue;
    const fields = line.split(" ");
    if (fields.length !== 2 || !/^\d+$/.test(fields[1])) {
      throw fail(`line ${i + 1} is not "<base64 token> <rank>": ${JSON.stringify(line.slice(0, 80))}`);
    }
    let token: string;
    try {
      token = atob(fields[0]);
    } catch {
      throw fail(`line ${i + 1}: ${JSON.stringify(fields[0].slice(0, 80))} is not base64`);
    }
    const rank = Number(fields[1]);
    if (token.length === 0) throw fail(`line ${i + 1} holds an empty token`);
    if (ranks.has(token)) throw fail(`line ${i + 1} repeats the token of rank ${ranks.get(token)}`);
    if (seen.has(rank)) throw fail(`line ${i + 1} repeats rank ${rank}`);
    ranks.set(token, rank);
    seen.add(rank);
  }
  if (ranks.size === 0) throw fail("holds no tokens");
  return ranks;
}

/** A {@link Tokenizer} that also says which special tokens it knows. */
export interface TiktokenTokenizer extends Tokenizer {
  readonly specialTokens: ReadonlyMap<string, number>;
}

/**
 * A tokenizer over `ranks` (from {@link parseTiktokenRanks}) and `spec`. Every special token is recognised
 * in text (tokenization_qwen.py's default `allowed_special="all"`); text is NFC-normalised first, as
 * tokenization_qwen.py does. `decode` leaves special tokens out and replaces invalid UTF-8 by U+FFFD
 * (tokenization_qwen.py's `errors="replace"`). No BOS is ever added: the encoding has none.
 */
export function createTiktokenTokenizer(
  ranks: ReadonlyMap<string, number>,
  spec: TiktokenSpec,
  source: string,
): TiktokenTokenizer {
  const decoderBytes = new Map<number, Uint8Array>();
  let vocabSize = 0;
  for (const [token, rank] of ranks) {
    decoderBytes.set(rank, Uint8Array.from(token, (c) => c.charCodeAt(0)));
    vocabSize = Math.max(vocabSize, rank + 1);
  }
  for (const [token, id] of spec.specialTokens) {
    if (decoderBytes.has(id)) {
      throw new ActpatError(
        "load tokenizer",
        `${source}: rank ${id} is also the id of special token ${token}`,
      );
    }
    vocabSize = Math.max(vocabSize, id + 1);
  }
  for (let b = 0; b < 256; b++) {
    if (!ranks.has(String.fromCharCode(b))) {
      throw new ActpatError(
        "load tokenizer",
        `${source}: byte ${b} is not a token, so some text cannot be encoded`,
      );
    }
  }
  const specialIds = new Set(spec.specialTokens.values());
  const specialPattern = spec.specialTokens.size === 0 ? null : new RegExp(
    [...spec.specialTokens.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp).join("|"),
    "gu",
  );
  const piecePattern = new RegExp(spec.pattern, "gu");
  const utf8 = new TextEncoder();
  const eos = spec.endOfText === null ? null : spec.specialTokens.get(spec.endOfText) ?? null;

  const encodeOrdinary = (text: string, out: number[]) => {
    for (const match of text.matchAll(piecePattern)) {
      const bytes = utf8.encode(match[0]);
      const whole = ranks.get(binaryString(bytes, 0, bytes.length));
      if (whole !== undefined) out.push(whole);
      else bytePairEncode(bytes, ranks, out);
    }
  };

  return {
    vocabSize,
    bosTokenId: null,
    eosTokenId: eos,
    specialTokens: spec.specialTokens,
    encode(text) {
      const normal = text.normalize("NFC");
      const ids: number[] = [];
      let start = 0;
      if (specialPattern) {
        for (const m of normal.matchAll(specialPattern)) {
          encodeOrdinary(normal.slice(start, m.index), ids);
          ids.push(spec.specialTokens.get(m[0])!);
          start = m.index + m[0].length;
        }
      }
      encodeOrdinary(normal.slice(start), ids);
      return ids;
    },
    decode(ids) {
      const parts: Uint8Array[] = [];
      let length = 0;
      for (const id of ids) {
        if (specialIds.has(id)) continue;
        const bytes = decoderBytes.get(id);
        if (bytes === undefined) {
          throw new ActpatError("decode tokens", `id ${id} is not a token of ${source}`);
        }
        parts.push(bytes);
        length += bytes.length;
      }
      const all = new Uint8Array(length);
      let at = 0;
      for (const p of parts) {
        all.set(p, at);
        at += p.length;
      }
      return new TextDecoder("utf-8").decode(all);
    },
  };
}

/**
 * Loads Qwen (v1)'s tokenizer from its `qwen.tiktoken` (ranks) with the pattern and special tokens of
 * tokenization_qwen.py ({@link QWEN_TIKTOKEN}).
 * @example const tok = await loadQwenTokenizer("Qwen-7B/qwen.tiktoken"); tok.encode("Hello world") // [9707, 1879]
 */
export async function loadQwenTokenizer(path: string): Promise<TiktokenTokenizer> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    const why = err instanceof Deno.errors.NotFound ? "no such file" : String(err);
    throw new ActpatError("load tokenizer", `${path}: ${why}`);
  }
  return createTiktokenTokenizer(parseTiktokenRanks(text, path), QWEN_TIKTOKEN, path);
}

/**
 * Appends the tokens of one piece that is not a token as a whole: tiktoken's `_byte_pair_merge`. `parts`
 * holds the start of each current part plus the end; `pairRank[i]` caches the rank of parts i and i + 1
 * joined (Infinity when that is no token), so each merge rescans cached numbers and looks up two new pairs.
 */
function bytePairEncode(bytes: Uint8Array, ranks: ReadonlyMap<string, number>, out: number[]): void {
  const n = bytes.length;
  if (n === 1) {
    out.push(ranks.get(binaryString(bytes, 0, 1))!);
    return;
  }
  const starts: number[] = Array.from({ length: n + 1 }, (_, i) => i);
  const rankOf = (i: number) =>
    i + 2 < starts.length ? ranks.get(binaryString(bytes, starts[i], starts[i + 2])) ?? Infinity : Infinity;
  const pairRank: number[] = Array.from({ length: n }, (_, i) => rankOf(i));
  for (;;) {
    let best = Infinity;
    let at = -1;
    for (let i = 0; i < pairRank.length - 1; i++) {
      if (pairRank[i] < best) {
        best = pairRank[i];
        at = i;
      }
    }
    if (at < 0) break;
    starts.splice(at + 1, 1);
    pairRank.splice(at + 1, 1);
    pairRank[at] = rankOf(at);
    if (at > 0) pairRank[at - 1] = rankOf(at - 1);
  }
  for (let i = 0; i + 1 < starts.length; i++) {
    out.push(ranks.get(binaryString(bytes, starts[i], starts[i + 1]))!);
  }
}

/** The bytes [from, to) as a binary string, the key format of the ranks. */
function binaryString(bytes: Uint8Array, from: number, to: number): string {
  let s = "";
  for (let i = from; i < to; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
