import assert from "node:assert/strict";
import { join } from "node:path";
import { tempDir } from "../../test/fixtures/temp_dir.ts";
import { tinyQwenConfig, tinyQwenTensors } from "../../test/reference/tiny_qwen.ts";
import { expectedTensors, type LlamaConfig } from "./llama_config.ts";
import { parseConfig } from "./parse_config.ts";
import { openSafetensors } from "./safetensors.ts";
import { type TensorToWrite, writeSafetensors } from "./safetensors_writer.ts";
import { validateWeights } from "./validate_weights.ts";
import { createWeightStore } from "./weight_store.ts";
import { internalWeights, splitStored, storedTensors, storedTensorsOf } from "./weight_layout.ts";

const QWEN: LlamaConfig = parseConfig(tinyQwenConfig(40, 16), "qwen/config.json");
const LLAMA: LlamaConfig = { ...QWEN, family: "llama", qkvBias: false, weightLayout: undefined };

Deno.test("storedTensors lists a Qwen checkpoint's own tensors with the internal tensors each holds", () => {
  const stored = storedTensors(QWEN);
  const show = (i: number) =>
    `${stored[i].name} [${stored[i].shape}] ← ${
      stored[i].parts.map((p) => p.name.replace(/^model\.layers\.0\./, "")).join(" + ")
    }`;
  assert.deepEqual(stored.slice(0, 9).map((_, i) => show(i)), [
    "transformer.wte.weight [40,8] ← model.embed_tokens.weight",
    "transformer.h.0.ln_1.weight [8] ← input_layernorm.weight",
    "transformer.h.0.attn.c_attn.weight [24,8] ← self_attn.q_proj.weight + self_attn.k_proj.weight + self_attn.v_proj.weight",
    "transformer.h.0.attn.c_attn.bias [24] ← self_attn.q_proj.bias + self_attn.k_proj.bias + self_attn.v_proj.bias",
    "transformer.h.0.attn.c_proj.weight [8,8] ← self_attn.o_proj.weight",
    "transformer.h.0.ln_2.weight [8] ← post_attention_layernorm.weight",
    "transformer.h.0.mlp.w2.weight [12,8] ← mlp.gate_proj.weight",
    "transformer.h.0.mlp.w1.weight [12,8] ← mlp.up_proj.weight",
    "transformer.h.0.mlp.c_proj.weight [8,12] ← mlp.down_proj.weight",
  ]);
  // The same names and shapes as Qwen's own checkpoints (test/reference/tiny_qwen.ts writes them by hand).
  const own = new Map(tinyQwenTensors(tinyQwenConfig(40, 16)));
  assert.equal(stored.length, own.size);
  for (const s of stored) assert.deepEqual(s.shape, own.get(s.name), s.name);
  // Every internal tensor in exactly one stored tensor.
  assert.deepEqual(
    stored.flatMap((s) => s.parts.map((p) => p.name)).sort(),
    expectedTensors(QWEN).map((t) => t.name).sort(),
  );
  // Without a layout each internal tensor is stored as itself.
  assert.deepEqual(storedTensors(LLAMA).map((s) => s.name), expectedTensors(LLAMA).map((t) => t.name));
});

Deno.test("storedTensorsOf takes whole stored tensors only; unknown names pass through as themselves", () => {
  const layer1 = expectedTensors(QWEN).filter((t) => t.name.startsWith("model.layers.1.")).map((t) => t.name);
  const store = { get: () => ({ shape: [4] }) as never };
  assert.deepEqual(
    storedTensorsOf(QWEN, layer1, store).map((s) => s.name),
    storedTensors(QWEN).filter((s) => s.name.startsWith("transformer.h.1.")).map((s) => s.name),
  );
  assert.throws(
    () => storedTensorsOf(QWEN, layer1.filter((n) => !n.endsWith("k_proj.weight")), store),
    {
      message:
        "Cannot map weights: transformer.h.1.attn.c_attn.weight also holds model.layers.1.self_attn.k_proj.weight, " +
        "which is not among the tensors",
    },
  );
  assert.deepEqual(storedTensorsOf(LLAMA, ["model.layers.0.self_attn.rotary_emb.inv_freq"], store), [{
    name: "model.layers.0.self_attn.rotary_emb.inv_freq",
    shape: [4],
    parts: [{ name: "model.layers.0.self_attn.rotary_emb.inv_freq", shape: [4] }],
  }]);
});

Deno.test("splitStored slices q, k, v out of c_attn: byte ranges of the file, views of memory", () => {
  const cAttn = storedTensors(QWEN).find((s) => s.name === "transformer.h.0.attn.c_attn.weight")!;
  const file = splitStored(cAttn, {
    dtype: "BF16",
    source: { kind: "file", path: "m", offset: 1000, byteLength: 384 },
  });
  assert.deepEqual(
    file.map((t) => [t.name, t.shape, t.source]),
    [0, 1, 2].map((i) => [
      cAttn.parts[i].name,
      [8, 8],
      { kind: "file", path: "m", offset: 1000 + i * 128, byteLength: 128 },
    ]),
  );
  const data = Float32Array.from({ length: 24 * 8 }, (_, i) => i);
  const memory = splitStored(cAttn, { dtype: "F32", source: { kind: "memory", data } });
  memory.forEach((t, i) => {
    assert.equal(t.source.kind, "memory");
    if (t.source.kind === "memory") assert.deepEqual(t.source.data, data.slice(i * 64, (i + 1) * 64));
  });
});

Deno.test("internalWeights serves a Qwen file under internal names; validateWeights names Qwen's tensors", async () => {
  await using tmp = await tempDir();
  const path = join(tmp.path, "model.safetensors");
  const write = async (edit: (t: TensorToWrite) => TensorToWrite | null = (t) => t) => {
    const tensors = tinyQwenTensors(tinyQwenConfig(40, 16)).map(([name, shape]) => {
      const n = shape.reduce((a, b) => a * b, 1);
      return { name, shape, dtype: "F32" as const, data: Float32Array.from({ length: n }, (_, i) => i + n) };
    });
    await writeSafetensors(path, tensors.flatMap((t) => edit(t) ?? []), { quiet: true });
    return await openSafetensors([path]);
  };
  const stored = await write();
  validateWeights(QWEN, stored, "q/config.json");
  const weights = internalWeights(QWEN, stored, tmp.path);
  assert.deepEqual(weights.names().sort(), expectedTensors(QWEN).map((t) => t.name).sort());
  const cAttn = await stored.readFloat32("transformer.h.1.attn.c_attn.bias");
  assert.deepEqual(await weights.readFloat32("model.layers.1.self_attn.k_proj.bias"), cAttn.slice(8, 16));
  const w2 = await stored.readFloat32("transformer.h.0.mlp.w2.weight");
  assert.deepEqual(await weights.readFloat32("model.layers.0.mlp.gate_proj.weight"), w2);
  // Without a layout the store is the checkpoint's own.
  const plain = createWeightStore([], "x");
  assert.equal(internalWeights(LLAMA, plain, "x"), plain);

  const refused: [(t: TensorToWrite) => TensorToWrite | null, string][] = [
    [
      (t) => t.name === "transformer.h.0.attn.c_attn.bias" ? null : t,
      "tensor transformer.h.0.attn.c_attn.bias is missing, but q/config.json implies it with shape [24]",
    ],
    [
      (t) => t.name === "transformer.h.1.attn.c_attn.weight" ? { ...t, shape: [8, 24] } : t,
      `tensor transformer.h.1.attn.c_attn.weight has shape [8, 24] but q/config.json implies [24, 8] (${path})`,
    ],
    [
      (t) =>
        t.name === "transformer.h.0.mlp.w1.weight" ? { ...t, name: "model.layers.0.mlp.up_proj.weight" } : t,
      "tensor transformer.h.0.mlp.w1.weight is missing, but q/config.json implies it with shape [12, 8]",
    ],
  ];
  for (const [edit, detail] of refused) {
    const store = await write(edit);
    assert.throws(() => validateWeights(QWEN, store, "q/config.json"), {
      message: `Cannot load model: ${detail}`,
    });
  }
});
