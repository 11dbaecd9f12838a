/**
 * `deno task generate --model REF --prompt TEXT --max-new-tokens N [--ep cpu|webgpu|cuda] [--threads N]
 * [--dtype float32|float16|bfloat16|float64] [--tokenizer REF]`: greedy continuation of TEXT (BOS prepended), printed
 * with the prompt, as llama2.c's run.c prints it. An end-to-end check of loading, tokenizing and the causal
 * LM graph. Stops early at EOS (or BOS, llama2.c's sequence delimiter).
 */
import { runMain } from "../src/util/errors.ts";
import {
  ENGINE_USAGE,
  engineOptions,
  MODEL_FLAGS,
  overrideFlags,
  parseTaskArgs,
  positiveInt,
  required,
} from "./_cli.ts";
import { loadModel } from "../src/model/load_model.ts";
import { greedyGenerate, LlamaRunner } from "../src/model/llama/mod.ts";

const USAGE = `usage: deno task generate --model REF --prompt TEXT --max-new-tokens N ${ENGINE_USAGE}`;

await runMain(async () => {
  const { values } = parseTaskArgs("generate", USAGE, Deno.args, {
    ...MODEL_FLAGS,
    prompt: { type: "string" },
    "max-new-tokens": { type: "string" },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const modelRef = required("generate", USAGE, "model", values.model);
  const prompt = required("generate", USAGE, "prompt", values.prompt);
  const maxNewTokens = positiveInt(
    "max-new-tokens",
    required("generate", USAGE, "max-new-tokens", values["max-new-tokens"]),
  )!;
  const engine = engineOptions(values);
  const model = await loadModel(modelRef, {
    ...(values.tokenizer ? { tokenizer: values.tokenizer } : {}),
    allowNonfinite: overrideFlags(values).allowNonfinite,
  });
  const runner = new LlamaRunner(model, engine);
  try {
    const tok = model.tokenizer;
    const ids = tok.encode(prompt, { addBos: true });
    const stop = [tok.eosTokenId, tok.bosTokenId].filter((id): id is number => id !== null);
    const generated = await greedyGenerate(runner, ids, maxNewTokens, { stopTokens: stop });
    console.log(tok.decode([...ids, ...generated]));
  } finally {
    await runner.release();
  }
});
