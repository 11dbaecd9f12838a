import { join } from "node:path";
import { Tokenizer as HfTokenizer } from "@huggingface/tokenizers";
import { ActpatError } from "../util/errors.ts";
import { loadQwenTokenizer, QWEN_TIKTOKEN_FILE } from "./tiktoken_tokenizer.ts";

/** Text ↔ token ids, the same for Hugging Face `tokenizer.json` and llama2.c `tok*.bin` tokenizers. */
export interface Tokenizer {
  /** Token ids of `text`; `addBos` defaults to the tokenizer's own setting (`add_bos_token`). */
  encode(text: string, options?: { addBos?: boolean }): number[];
  /** Text of `ids`, special tokens (BOS, EOS, ...) left out. */
  decode(ids: number[]): string;
  /** One more than the largest token id. */
  readonly vocabSize: number;
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
}

type TokenSpec = string | { content: string } | null | undefined;

/**
 * The tokenizer of a checkpoint folder: `tokenizer.json` through {@link loadHfTokenizer}; without one, Qwen
 * (v1)'s `qwen.tiktoken` (see `tiktoken_tokenizer.ts`).
 */
export async function loadCheckpointTokenizer(dir: string): Promise<Tokenizer> {
  const exists = (name: string) => Deno.stat(join(dir, name)).then(() => true, () => false);
  if (!(await exists("tokenizer.json")) && (await exists(QWEN_TIKTOKEN_FILE))) {
    return await loadQwenTokenizer(join(dir, QWEN_TIKTOKEN_FILE));
  }
  return await loadHfTokenizer(dir);
}

/**
 * Loads `tokenizer.json` (+ `tokenizer_config.json` for BOS/EOS and `add_bos_token`) from a checkpoint
 * directory through `@huggingface/tokenizers`.
 */
export async function loadHfTokenizer(dir: string): Promise<Tokenizer> {
  const path = join(dir, "tokenizer.json");
  const json = await readJson(path, true);
  const config = (await readJson(join(dir, "tokenizer_config.json"), false)) ?? {};
  const specialMap = (await readJson(join(dir, "special_tokens_map.json"), false)) ?? {};
  let hf: HfTokenizer;
  try {
    hf = new HfTokenizer(json, config);
  } catch (err) {
    throw new ActpatError("load tokenizer", `${path}: ${err instanceof Error ? err.message : err}`);
  }
  const idOf = (key: "bos_token" | "eos_token"): number | null => {
    const spec = (key in config ? config[key] : specialMap[key]) as TokenSpec;
    if (spec === null || spec === undefined) return null;
    const content = typeof spec === "string" ? spec : spec.content;
    const id = hf.token_to_id(content);
    if (id === undefined) throw new ActpatError("load tokenizer", `${key} "${content}" is not in ${path}`);
    return id;
  };
  const bosTokenId = idOf("bos_token");
  const eosTokenId = idOf("eos_token");
  // Without add_bos_token, follow the post-processor: it adds BOS when the template starts with it.
  const templateAddsBos = bosTokenId !== null && hf.encode("a").ids[0] === bosTokenId;
  const defaultAddBos = typeof config.add_bos_token === "boolean" ? config.add_bos_token : templateAddsBos;
  let vocabSize = 0;
  for (const id of hf.get_vocab(true).values()) vocabSize = Math.max(vocabSize, id + 1);
  return {
    vocabSize,
    bosTokenId,
    eosTokenId,
    encode(text, options = {}) {
      // Special tokens come from the options, not the post-processor, so addBos means the same for every
      // tokenizer.
      const ids = hf.encode(text, { add_special_tokens: false }).ids;
      return (options.addBos ?? defaultAddBos) && bosTokenId !== null ? [bosTokenId, ...ids] : ids;
    },
    decode(ids) {
      return hf.decode(ids, { skip_special_tokens: true });
    },
  };
}

async function readJson(path: string, required: true): Promise<Record<string, unknown>>;
async function readJson(path: string, required: false): Promise<Record<string, unknown> | null>;
async function readJson(path: string, required: boolean): Promise<Record<string, unknown> | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (!required && err instanceof Deno.errors.NotFound) return null;
    const why = err instanceof Deno.errors.NotFound ? "no such file" : String(err);
    throw new ActpatError("load tokenizer", `${path}: ${why}`);
  }
  try {
    const json = JSON.parse(text);
    if (json === null || typeof json !== "object" || Array.isArray(json)) {
      throw new SyntaxError("not an object");
    }
    return json;
  } catch (err) {
    throw new ActpatError("load tokenizer", `${path} is not valid JSON (${(err as Error).message})`);
  }
}
