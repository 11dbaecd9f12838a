/**
 * The one thing the data layer needs from a tokenizer: text → ids. Structurally the `encode` of
 * src/model's `Tokenizer`, so any model tokenizer can be passed. `addBos` follows Hugging Face's
 * `tokenizer(text)`, which prepends BOS for Llama tokenizers (what Wanda's loaders call).
 */
export interface TokenEncoder {
  encode(text: string, options?: { addBos?: boolean }): number[];
}
