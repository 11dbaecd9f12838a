import assert from "node:assert/strict";
import { MODEL_SHAPES } from "../model_shapes.ts";
import { parseConfig } from "../parse_config.ts";
import { activationArena } from "./llama_runner.ts";

const tokenizer = { vocabSize: 512, bosTokenId: 1, eosTokenId: 2 };
const config = (shape: keyof typeof MODEL_SHAPES) =>
  parseConfig({ ...MODEL_SHAPES[shape], vocab_size: tokenizer.vocabSize }, shape);

Deno.test("activation graphs keep onnxruntime's CPU arena for small models and drop it at the 7B shape", () => {
  // tiny: largest linear well under 64 MiB in any dtype → arena on (undefined = onnxruntime's default).
  assert.equal(activationArena(config("tiny"), "float64"), undefined);
  // llama2-7b: gate/up/down are 11008 × 4096 = 45.1M parameters = 180 MB in float32, 90 MB even as fp16
  // weights computed in float32 → arena off.
  assert.equal(activationArena(config("llama2-7b"), "float32"), false);
  assert.equal(activationArena(config("llama2-7b"), "float16"), false);
});
