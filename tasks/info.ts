/**
 * `deno task info --model REF [--tokenizer REF]`: the architecture of a checkpoint and its parameter counts
 * per layer and module. A Hugging Face folder and the llama2.c file of the same model print the same
 * architecture and parameters; only the file lines differ.
 */
import { describeArchitecture, describeParameters } from "../src/model/describe_model.ts";
import { loadModel } from "../src/model/load_model.ts";
import { runMain } from "../src/util/errors.ts";
import { overrideFlags, parseTaskArgs, required } from "./_cli.ts";

const USAGE = "usage: deno task info --model REF [--tokenizer REF] [--allow-nonfinite]";

await runMain(async () => {
  const { values } = parseTaskArgs("info", USAGE, Deno.args, {
    model: { type: "string" },
    tokenizer: { type: "string" },
    "allow-nonfinite": { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const model = await loadModel(
    required("info", USAGE, "model", values.model),
    {
      ...(values.tokenizer ? { tokenizer: values.tokenizer } : {}),
      allowNonfinite: overrideFlags(values).allowNonfinite,
    },
  );
  const tok = model.tokenizer;
  const lines = [
    `model      ${model.ref}`,
    `format     ${model.format === "hf" ? "Hugging Face (safetensors)" : "llama2.c"}`,
    `folder     ${model.dir}`,
    ...model.files.map((f) =>
      `file       ${f.path} (${f.bytes.toLocaleString("en-US")} bytes, sha256 ${f.sha256})`
    ),
    `tokenizer  ${tok.vocabSize} tokens, bos ${tok.bosTokenId ?? "none"}, eos ${tok.eosTokenId ?? "none"}`,
    "",
    "architecture",
    describeArchitecture(model.config),
    "",
    "parameters",
    describeParameters(model.config),
  ];
  console.log(lines.join("\n"));
});
