import { ActpatError } from "../util/errors.ts";
import type { Tokenizer } from "./tokenizer.ts";

/** llama2.c's fixed special ids (run.c): 0 unknown, 1 BOS, 2 EOS; byte pieces start at 3. */
const BOS = 1;
const EOS = 2;
const BYTE_OFFSET = 3;

/** A llama2.c `tok*.bin` tokenizer: pieces with scores, SentencePiece BPE by score with byte fallback. */
export interface Llama2cTokenizer extends Tokenizer {
  readonly pieces: readonly string[];
  readonly scores: Float32Array;
}

/**
 * Parses a `tok*.bin` file: int32 max_token_length, then per token a float32 score, an int32 byte length and
 * the UTF-8 bytes. `vocabSize`, when given, must match the number of tokens in the file.
 */
export async function loadLlama2cTokenizer(path: string, vocabSize?: number): Promise<Llama2cTokenizer> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (err) {
    const why = err instanceof Deno.errors.NotFound ? "no such file" : String(err);
    throw new ActpatError("load tokenizer", `${path}: ${why}`);
  }
  return parseLlama2cTokenizer(bytes, path, vocabSize);
}

/** {@link loadLlama2cTokenizer} over bytes already read; `source` is named in errors. */
export function parseLlama2cTokenizer(
  bytes: Uint8Array,
  source: string,
  vocabSize?: number,
): Llama2cTokenizer {
  const fail = (detail: string) => new ActpatError("load tokenizer", `${source}: ${detail}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4) throw fail("file too short for the max_token_length header");
  const maxLength = view.getInt32(0, true);
  const decoder = new TextDecoder();
  const pieces: string[] = [];
  const scores: number[] = [];
  let pos = 4;
  while (pos < bytes.length && (vocabSize === undefined || pieces.length < vocabSize)) {
    if (pos + 8 > bytes.length) throw fail(`truncated at token ${pieces.length} (byte ${pos})`);
    const score = view.getFloat32(pos, true);
    const len = view.getInt32(pos + 4, true);
    if (len < 0 || len > maxLength || pos + 8 + len > bytes.length) {
      throw fail(
        `token ${pieces.length} has byte length ${len} (max_token_length ${maxLength}, file ends at ${bytes.length})`,
      );
    }
    pieces.push(decoder.decode(bytes.subarray(pos + 8, pos + 8 + len)));
    scores.push(score);
    pos += 8 + len;
  }
  if (vocabSize !== undefined && pieces.length !== vocabSize) {
    throw fail(`holds ${pieces.length} tokens but the checkpoint's vocab_size is ${vocabSize}`);
  }
  if (pieces.length < BYTE_OFFSET + 256) {
    throw fail(`holds ${pieces.length} tokens, fewer than the 259 special and byte pieces`);
  }
  return makeTokenizer(pieces, Float32Array.from(scores));
}

function makeTokenizer(pieces: string[], scores: Float32Array): Llama2cTokenizer {
  const ids = new Map<string, number>();
  // run.c looks pieces up by binary search over a sorted copy; with duplicate pieces the first id is as good.
  pieces.forEach((p, i) => ids.has(p) || ids.set(p, i));
  const space = ids.get(" ");
  const encoder = new TextEncoder();
  const byteOf = pieces.map((p) => {
    const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(p);
    return m ? parseInt(m[1], 16) : -1;
  });
  const special = (id: number) => id === 0 || id === BOS || id === EOS;

  return {
    pieces,
    scores,
    vocabSize: pieces.length,
    bosTokenId: BOS,
    eosTokenId: EOS,
    encode(text, options = {}) {
      const symbols: number[] = [];
      if (text.length > 0) {
        // SentencePiece's dummy prefix: a leading space, as its own piece before merging.
        if (space !== undefined) symbols.push(space);
        for (const ch of text) {
          const id = ids.get(ch);
          if (id !== undefined) symbols.push(id);
          else for (const b of encoder.encode(ch)) symbols.push(b + BYTE_OFFSET);
        }
      }
      const merged = mergeByScore(symbols, pieces, scores, ids);
      return options.addBos ?? true ? [BOS, ...merged] : merged;
    },
    decode(tokenIds) {
      const out: number[] = [];
      for (const id of tokenIds) {
        if (special(id)) continue;
        const piece = pieces[id];
        if (piece === undefined) {
          throw new ActpatError("decode tokens", `id ${id} is outside the vocabulary of ${pieces.length}`);
        }
        if (byteOf[id] >= 0) out.push(byteOf[id]);
        else out.push(...encoder.encode(piece));
      }
      const text = new TextDecoder().decode(new Uint8Array(out));
      // Drop the dummy prefix, as SentencePiece (and the Hugging Face Llama decoder) does.
      return text.startsWith(" ") ? text.slice(1) : text;
    },
  };
}

/**
 * run.c's merge loop — repeatedly merge the adjacent pair whose concatenated piece has the highest score, the
 * leftmost on ties — in O(n log n) with a heap over a linked list instead of rescanning every round, so long
 * documents tokenize quickly.
 */
function mergeByScore(
  symbols: number[],
  pieces: string[],
  scores: Float32Array,
  ids: Map<string, number>,
): number[] {
  const n = symbols.length;
  if (n < 2) return symbols.slice();
  const token = Int32Array.from(symbols);
  const next = Int32Array.from({ length: n }, (_, i) => (i + 1 < n ? i + 1 : -1));
  const prev = Int32Array.from({ length: n }, (_, i) => i - 1);
  const alive = new Uint8Array(n).fill(1);
  // Heap entries: [score, left position, left token, right token, merged id]; position order = text order.
  const heap = new PairHeap();
  const consider = (left: number) => {
    const right = next[left];
    if (left < 0 || right < 0) return;
    const id = ids.get(pieces[token[left]] + pieces[token[right]]);
    if (id !== undefined) {
      heap.push({ score: scores[id], left, leftTok: token[left], rightTok: token[right], id });
    }
  };
  for (let i = 0; i + 1 < n; i++) consider(i);
  for (;;) {
    const top = heap.pop();
    if (!top) break;
    const { left, id } = top;
    const right = next[left];
    // Stale entry: a neighbour changed since it was pushed.
    if (!alive[left] || right < 0 || token[left] !== top.leftTok || token[right] !== top.rightTok) continue;
    token[left] = id;
    alive[right] = 0;
    next[left] = next[right];
    if (next[right] >= 0) prev[next[right]] = left;
    if (prev[left] >= 0) consider(prev[left]);
    consider(left);
  }
  const out: number[] = [];
  for (let i = 0; i >= 0; i = next[i]) out.push(token[i]);
  return out;
}

interface Pair {
  score: number;
  left: number;
  leftTok: number;
  rightTok: number;
  id: number;
}

/** Max-heap by score, then min by position (run.c keeps the first pair on equal scores). */
class PairHeap {
  #items: Pair[] = [];
  #before(a: Pair, b: Pair): boolean {
    return a.score > b.score || (a.score === b.score && a.left < b.left);
  }
  push(p: Pair): void {
    const h = this.#items;
    h.push(p);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }
  pop(): Pair | undefined {
    const h = this.#items;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < h.length && this.#before(h[l], h[best])) best = l;
        if (r < h.length && this.#before(h[r], h[best])) best = r;
        if (best === i) break;
        [h[i], h[best]] = [h[best], h[i]];
        i = best;
      }
    }
    return top;
  }
}
