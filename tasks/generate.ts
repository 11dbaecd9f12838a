/**
 * `deno task generate --model REF --prompt TEXT --max-new-tokens N [--ep cpu|webgpu|cuda] [--threads N]
 * [--dtype float32|float16|float64] [--tokenizer REF]`: greedy continuation of TEXT (BOS prepended), printed
 * with the prompt, as llama2.c's run.c prints it. An end-to-end check of loading, tokenizing and the causal
 * LM graph. Stops early at EOS (or BOS, llama2.c's sequence delimiter).
 */
import { parseArgs } from "node:util";
import { parseEp } from "../src/onnx/mod.ts";
import { ActpatError, runMain } from "../src/util/errors.ts";
import { loadModel } from "../src/model/load_model.ts";
import { type ComputeDType, greedyGenerate, LlamaRunner } from "../src/model/llama/mod.ts";

const USAGE = "usage: deno task generate --model REF --prompt TEXT --max-new-tokens N " +
  "[--ep cpu|webgpu|cuda] [--threads N] [--dtype float32|float16|float64] [--tokenizer REF] [--allow-nonfinite]";

function parse(args: string[]) {
  try {
    return parseArgs({
      args,
      strict: true,
      options: {
        model: { type: "string" },
        prompt: { type: "string" },
        "max-new-tokens": { type: "string" },
        ep: { type: "string" },
        threads: { type: "string" },
        dtype: { type: "string", default: "float32" },
        tokenizer: { type: "string" },
        "allow-nonfinite": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (err) {
    throw new ActpatError("generate", `${(err as Error).message} (${USAGE})`);
  }
}

function positiveInt(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) {
    throw new ActpatError(`parse --${flag}`, `"${text}" is not a positive integer`);
  }
  return n;
}

await runMain(async () => {
  const values = parse(Deno.args);
  if (values.help) {
    console.log(USAGE);
    return;
  }
  for (const flag of ["model", "prompt", "max-new-tokens"] as const) {
    if (values[flag] === undefined) throw new ActpatError("generate", `--${flag} is required (${USAGE})`);
  }
  const maxNewTokens = positiveInt("max-new-tokens", values["max-new-tokens"])!;
  const threads = positiveInt("threads", values.threads);
  const ep = parseEp(values.ep);
  const dtypes: ComputeDType[] = ["float32", "float16", "float64"];
  if (!dtypes.includes(values.dtype as ComputeDType)) {
    throw new ActpatError("parse --dtype", `"${values.dtype}" is not one of ${dtypes.join(", ")}`);
  }
  const model = await loadModel(values.model!, {
    ...(values.tokenizer ? { tokenizer: values.tokenizer } : {}),
    allowNonfinite: values["allow-nonfinite"] ?? false,
  });
  const runner = new LlamaRunner(model, { ep, threads, dtype: values.dtype as ComputeDType });
  try {
    const tok = model.tokenizer;
    const prompt = tok.encode(values.prompt!, { addBos: true });
    const stop = [tok.eosTokenId, tok.bosTokenId].filter((id): id is number => id !== null);
    const generated = await greedyGenerate(runner, prompt, maxNewTokens, { stopTokens: stop });
    console.log(tok.decode([...prompt, ...generated]));
  } finally {
    await runner.release();
  }
});
