/**
 * A tiny random Qwen (v1) checkpoint in the real file layout (test/reference/tiny_qwen.ts), loaded by actpat
 * like any checkpoint, against the independent float64 Qwen reference (test/reference/qwen_f64.ts), which
 * reads Qwen's own config keys and tensor names: logits, the paper's y, and the activation gradient
 * |W ⊙ ∂y/∂W| of each of the 7 linears (q, k, v sliced from the fused c_attn) against finite differences.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { STORIES_TOK } from "../../../test/fixtures/mirror.ts";
import { tempDir } from "../../../test/fixtures/temp_dir.ts";
import {
  qwenFiniteDifferences,
  qwenForward,
  type QwenReferenceConfig,
  qwenReferenceConfig,
  qwenY,
} from "../../../test/reference/qwen_f64.ts";
import { writeTinyQwen } from "../../../test/reference/tiny_qwen.ts";
import { randomIds } from "../../../test/reference/tiny_models.ts";
import { LINEAR_MODULES, type LinearModule, linearWeightName } from "../llama_config.ts";
import { loadModel } from "../load_model.ts";
import { LlamaRunner } from "./llama_runner.ts";

const SUBSET_TIKTOKEN = fileURLToPath(
  new URL("../../../test/fixtures/qwen_tiktoken/qwen_subset.tiktoken", import.meta.url),
);

/**
 * Where each internal linear lives in a Qwen block: its matrix and its rows (c_attn stacks q, k, v rows;
 * QWenMLP computes c_proj(w1(x) · silu(w2(x))), so the SiLU-gated w2 is gate_proj).
 */
function qwenSource(
  layer: number,
  module: LinearModule,
  d: number,
): { name: string; rows: [number, number] } {
  const p = `transformer.h.${layer}`;
  const table: Record<LinearModule, [string, number]> = {
    q_proj: ["attn.c_attn", 0],
    k_proj: ["attn.c_attn", d],
    v_proj: ["attn.c_attn", 2 * d],
    o_proj: ["attn.c_proj", 0],
    gate_proj: ["mlp.w2", 0],
    up_proj: ["mlp.w1", 0],
    down_proj: ["mlp.c_proj", 0],
  };
  const [matrix, from] = table[module];
  const rows = module === "q_proj" || module === "k_proj" || module === "v_proj" ? d : -1;
  return { name: `${p}.${matrix}.weight`, rows: [from, rows < 0 ? Infinity : from + rows] };
}

/** Rows [from, to) of a row-major [rows, cols] matrix. */
function rowsOf(m: Float64Array, cols: number, [from, to]: [number, number]): Float64Array {
  return m.slice(from * cols, Math.min(to * cols, m.length));
}

function close(actual: number, expected: number, tol: number, what: string) {
  const err = Math.abs(actual - expected) / Math.max(1, Math.abs(expected));
  assert(err <= tol, `${what}: ${actual} vs ${expected} (relative error ${err} > ${tol})`);
}

Deno.test("a Qwen (v1) checkpoint in Qwen's layout loads as 7 linears per layer with Qwen's tokenizer", async () => {
  await using tmp = await tempDir();
  const { weights: ref } = await writeTinyQwen(tmp.path, { tiktoken: SUBSET_TIKTOKEN, dtype: "BF16" });
  const model = await loadModel(tmp.path, { quiet: true });
  const c = model.config;
  assert.deepEqual(
    [c.family, c.hiddenSize, c.intermediateSize, c.numHeads, c.numKvHeads, c.headDim, c.qkvBias],
    ["qwen", 8, 12, 2, 2, 4, true],
  );
  assert.deepEqual([c.rmsNormEps, c.ropeTheta, c.tieWordEmbeddings, c.vocabSize], [
    1e-6,
    10000,
    false,
    151936,
  ]);
  // Dynamic NTK and logn attention act beyond seq_length only: the usable context stops there.
  assert.equal(c.maxPositionEmbeddings, 16);
  assert.deepEqual(model.tokenizer.encode("Hello world"), [9707, 1879]);
  assert.deepEqual([model.tokenizer.eosTokenId, model.tokenizer.bosTokenId], [151643, null]);

  // Every internal tensor is a byte range of model.safetensors holding exactly the reference's values.
  const d = 8;
  for (let l = 0; l < 2; l++) {
    for (const m of LINEAR_MODULES) {
      const t = model.weights.get(linearWeightName(l, m));
      assert.equal(t.source.kind, "file");
      const { name, rows } = qwenSource(l, m, d);
      const cols = m === "down_proj" ? 12 : d;
      assert.deepEqual(
        Float64Array.from(await model.weights.readFloat32(linearWeightName(l, m))),
        rowsOf(ref.get(name)!, cols, rows),
        `${linearWeightName(l, m)} ← ${name}`,
      );
    }
    const bias = ref.get(`transformer.h.${l}.attn.c_attn.bias`)!;
    for (const [i, m] of (["q_proj", "k_proj", "v_proj"] as const).entries()) {
      assert.deepEqual(
        Float64Array.from(await model.weights.readFloat32(`model.layers.${l}.self_attn.${m}.bias`)),
        bias.slice(i * d, (i + 1) * d),
      );
    }
  }
  assert.ok(!model.weights.names().some((n) => n.startsWith("transformer.")));
});

Deno.test("Qwen logits of actpat's graphs equal the float64 Qwen reference", async () => {
  await using tmp = await tempDir();
  const { config, weights } = await writeTinyQwen(tmp.path, { tiktoken: SUBSET_TIKTOKEN, seed: 2 });
  const model = await loadModel(tmp.path, { quiet: true });
  const rc = qwenReferenceConfig(config);
  const ids = model.tokenizer.encode("Once upon a time, there was a little girl named Lily.");
  const want = qwenForward(rc, weights, ids).logits;
  // float64 graph vs float64 loops: the same sums in another order, |Δ| ≲ 1e-13 · |x| per step; 1e-10 relative
  // to max(1, |x|) leaves room for the 151936-wide lm_head. float32: ~1e-6 relative per op through 2 layers.
  for (const [dtype, tol] of [["float64", 1e-10], ["float32", 1e-4]] as const) {
    const runner = new LlamaRunner(model, { dtype, threads: 1, cache: false });
    try {
      const [got] = await runner.logits([ids]);
      assert.equal(got.length, ids.length * rc.vocabSize);
      for (let t = 0; t < ids.length; t++) {
        for (const v of [0, 13, 9707, 151642, 151935]) {
          close(got[t * rc.vocabSize + v], want[t][v], tol, `${dtype} logits[${t}][${v}]`);
        }
        let maxErr = 0;
        for (let v = 0; v < rc.vocabSize; v++) {
          maxErr = Math.max(
            maxErr,
            Math.abs(got[t * rc.vocabSize + v] - want[t][v]) / Math.max(1, Math.abs(want[t][v])),
          );
        }
        assert(maxErr <= tol, `${dtype} position ${t}: max relative error ${maxErr}`);
      }
    } finally {
      await runner.release();
    }
  }
});

/**
 * Central differences with h = 1e-5 on the float64 reference: truncation ~h²·|y'''| and rounding ~1e-16·|y|/h,
 * both ≲1e-9 per entry (|W| < 4); the float64 graph must match to 1e-6 · max(1, |expected|), as for the
 * Llama-layout tiny models (activation_gradient_graph_test.ts).
 */
const FD_TOLERANCE = 1e-6;

Deno.test("Qwen activation gradients of the 7 linears match finite differences of the float64 Qwen reference", async () => {
  await using tmp = await tempDir();
  // A 512-token vocabulary, so stories260K's tokenizer serves; stored in bfloat16 (cast in-graph).
  const { config, weights } = await writeTinyQwen(tmp.path, { vocabSize: 512, seed: 3, dtype: "BF16" });
  const model = await loadModel(tmp.path, { tokenizer: STORIES_TOK, quiet: true });
  const rc: QwenReferenceConfig = qwenReferenceConfig(config);
  const pair = [randomIds(model.config, 4, 11), randomIds(model.config, 3, 12)]; // one padded row
  const fd = pair.map((ids) => qwenFiniteDifferences(rc, weights, ids));
  const runner = new LlamaRunner(model, { dtype: "float64", threads: 1, cache: false });
  try {
    const res = await runner.activationGradients(pair, { density: true, similarity: true });
    pair.forEach((ids, b) => close(res.y[b], qwenY(rc, weights, ids), 1e-12, `y[${b}]`));
    const d = rc.hiddenSize;
    for (let l = 0; l < rc.numLayers; l++) {
      for (const m of LINEAR_MODULES) {
        const { name, rows } = qwenSource(l, m, d);
        const cols = m === "down_proj" ? rc.ffWidth : d;
        const W = rowsOf(weights.get(name)!, cols, rows);
        const [va, vb] = fd.map((f) => rowsOf(f.get(name)!, cols, rows).map((g, i) => g * W[i]));
        const wname = linearWeightName(l, m);
        const density = res.density!.get(wname)!;
        assert.equal(density.length, W.length, wname);
        let dot = 0, aa = 0, bb = 0;
        for (let i = 0; i < W.length; i++) {
          close(density[i], Math.abs(va[i]) + Math.abs(vb[i]), FD_TOLERANCE, `${wname}[${i}] (${name})`);
          dot += Math.abs(va[i] * vb[i]);
          aa += va[i] * va[i];
          bb += vb[i] * vb[i];
        }
        const [sim] = res.similarity!.get(wname)!;
        close(sim.dot, dot, FD_TOLERANCE, `${wname} Σ|v_a v_b|`);
        close(sim.aa, aa, FD_TOLERANCE, `${wname} Σv_a²`);
        close(sim.bb, bb, FD_TOLERANCE, `${wname} Σv_b²`);
        assert(aa > 0 && bb > 0, `${wname}: v vanishes`);
      }
    }
  } finally {
    await runner.release();
  }
});

Deno.test("dynamic NTK and logn attention change nothing up to seq_length and something beyond it", async () => {
  await using tmp = await tempDir();
  const { config, weights } = await writeTinyQwen(tmp.path, { vocabSize: 512, seed: 4, seqLength: 6 });
  const on = qwenReferenceConfig(config);
  const off = { ...on, useDynamicNtk: false, useLognAttn: false };
  const model = await loadModel(tmp.path, { tokenizer: STORIES_TOK, quiet: true });
  assert.equal(model.config.maxPositionEmbeddings, 6);
  const ids = randomIds(model.config, 9, 5);
  const last = (c: QwenReferenceConfig, n: number) =>
    qwenForward(c, weights, ids.slice(0, n), { lastOnly: true }).logits[0];
  // Up to seq_length both mechanisms are the identity in modeling_qwen.py: bit-identical reference logits.
  assert.deepEqual(last(on, 6), last(off, 6));
  // Beyond it they move the logits: actpat's plain RoPE would not be Qwen's model there, hence the cap.
  const [a, b] = [last(on, 9), last(off, 9)];
  assert.ok(a.some((x, i) => Math.abs(x - b[i]) > 1e-6));
  const runner = new LlamaRunner(model, { dtype: "float64", threads: 1, cache: false });
  try {
    const [got] = await runner.lastLogits([ids.slice(0, 6)]);
    last(on, 6).forEach((x, i) => close(got[i], x, 1e-10, `logits[${i}] at seq_length`));
  } finally {
    await runner.release();
  }
});
