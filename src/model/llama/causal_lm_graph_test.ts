import assert from "node:assert/strict";
import { referenceForward, referenceLogProbs } from "../../../test/reference/llama_f64.ts";
import { randomIds, TINY_CONFIGS, tinyModel, writeSafetensors } from "../../../test/reference/tiny_models.ts";
import { LlamaRunner } from "./llama_runner.ts";
import type { ComputeDType } from "./_weights.ts";

/**
 * Tolerances, elementwise |Δ| ≤ tol · max(1, |reference|) against the float64 reference: float64 graphs
 * differ from it only by summation order (observed ~1e-14), so 1e-6 leaves ample room; float32 graphs carry
 * float32 rounding through 2 layers and the lm_head (observed ~4e-6), hence 1e-4.
 */
const TOLERANCE: Record<"float64" | "float32", number> = { float64: 1e-6, float32: 1e-4 };

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0, at = -1;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    if (!(err <= worst)) [worst, at] = [err, i];
  }
  assert(worst <= tol, `${what}: relative error ${worst} at ${at} exceeds ${tol}`);
}

Deno.test("causal LM logits and log-probs match the float64 reference on every tiny config", async () => {
  for (const name of Object.keys(TINY_CONFIGS)) {
    const { config, weights, store } = tinyModel(name, 1);
    const ids = randomIds(config, 7, 2);
    const targets = randomIds(config, 7, 3);
    const ref = referenceForward(config, weights, ids).logits;
    const refLp = referenceLogProbs(ref, targets);
    for (const dtype of ["float64", "float32"] as const) {
      const runner = new LlamaRunner({ config, weights: store }, { dtype, threads: 1, cache: false });
      try {
        const [logits] = await runner.logits([ids]);
        assertClose(
          logits,
          ref.flatMap((row) => Array.from(row)),
          TOLERANCE[dtype],
          `${name} ${dtype} logits`,
        );
        const [lp] = await runner.logProbs([ids], [targets]);
        assertClose(lp, refLp, TOLERANCE[dtype], `${name} ${dtype} log-probs`);
        const [last] = await runner.lastLogits([ids]);
        assertClose(last, ref[ids.length - 1], TOLERANCE[dtype], `${name} ${dtype} last logits`);
      } finally {
        await runner.release();
      }
    }
  }
});

Deno.test("batched right-padded sequences give the same results as one sequence at a time", async () => {
  for (const name of ["gqa_untied", "llama3_rope"]) {
    const { config, store } = tinyModel(name, 5);
    const lengths = [6, 2, 4, 1];
    const seqs = lengths.map((n, i) => randomIds(config, n, 10 + i));
    const targets = lengths.map((n, i) => randomIds(config, n, 20 + i));
    for (const dtype of ["float64", "float32"] as const) {
      // Padding changes only which rows are computed, not any real token's arithmetic beyond summation
      // order inside batched kernels: float64 agrees to 1e-12, float32 to 1e-5.
      const tol = dtype === "float64" ? 1e-12 : 1e-5;
      const runner = new LlamaRunner({ config, weights: store }, { dtype, threads: 1, cache: false });
      try {
        const batchLp = await runner.logProbs(seqs, targets);
        const batchLast = await runner.lastLogits(seqs);
        const batchLogits = await runner.logits(seqs);
        for (let i = 0; i < seqs.length; i++) {
          const [lp] = await runner.logProbs([seqs[i]], [targets[i]]);
          assertClose(batchLp[i], lp, tol, `${name} ${dtype} log-probs of sequence ${i}`);
          const [last] = await runner.lastLogits([seqs[i]]);
          assertClose(batchLast[i], last, tol, `${name} ${dtype} last logits of sequence ${i}`);
          const [logits] = await runner.logits([seqs[i]]);
          assertClose(batchLogits[i], logits, tol, `${name} ${dtype} logits of sequence ${i}`);
        }
      } finally {
        await runner.release();
      }
    }
  }
});

Deno.test("F32, F16 and BF16 safetensors weights enter as external data and give the reference logits", async () => {
  const { config, weights } = tinyModel("qkv_bias_gqa", 8);
  const ids = randomIds(config, 5, 4);
  const ref = referenceForward(config, weights, ids).logits.flatMap((row) => Array.from(row));
  const dir = await Deno.makeTempDir();
  try {
    for (const storage of ["F32", "F16", "BF16"] as const) {
      await Deno.mkdir(`${dir}/${storage}`);
      const store = await writeSafetensors(`${dir}/${storage}`, weights, config, storage);
      // The tiny weights are exact in every storage dtype, so the cast-in-graph path must reproduce the
      // reference to the float64 tolerance; the graph comes through the on-disk cache (file-backed weights).
      for (const dtype of ["float64", "float32"] as const satisfies ComputeDType[]) {
        const runner = new LlamaRunner({ config, weights: store }, {
          dtype,
          threads: 1,
          cache: `${dir}/cache`,
        });
        try {
          const [logits] = await runner.logits([ids]);
          assertClose(logits, ref, TOLERANCE[dtype], `${storage} → ${dtype}`);
        } finally {
          await runner.release();
        }
      }
    }
    let cached = 0;
    for await (const e of Deno.readDir(`${dir}/cache/graphs`)) if (e.name.endsWith(".onnx")) cached++;
    assert.equal(cached, 6, "one cached graph per storage dtype and compute dtype");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("float16 compute stays within half-precision error of the reference", async () => {
  // float16 keeps 11 significant bits (rounding 4.9e-4 relative); through 2 layers, softmax inputs and the
  // lm_head's sums a few tens of roundings accumulate: observed ≤ 7e-3 with onnxruntime 1.30's CPU kernels and
  // 3.4e-2 with 1.29's (the version of the npm CUDA provider; which kernel rounds more is not established),
  // bound 5e-2 of max(1, |logit|): a wrong weight or op moves logits by O(1).
  for (const name of ["gqa_untied", "llama3_rope"]) {
    const { config, weights, store } = tinyModel(name, 1);
    const ids = randomIds(config, 6, 1);
    const ref = referenceForward(config, weights, ids).logits.flatMap((row) => Array.from(row));
    const runner = new LlamaRunner({ config, weights: store }, {
      dtype: "float16",
      threads: 1,
      cache: false,
    });
    try {
      const [logits] = await runner.logits([ids]);
      assert(logits instanceof Float32Array, "float16 graphs return float32 logits");
      assertClose(logits, ref, 5e-2, `${name} float16`);
    } finally {
      await runner.release();
    }
  }
});

Deno.test("runner rejects out-of-vocabulary ids and mismatched targets", async () => {
  const { config, store } = tinyModel("mha_tied", 1);
  const runner = new LlamaRunner({ config, weights: store }, { cache: false });
  try {
    await assert.rejects(runner.lastLogits([[1, config.vocabSize]]), /outside the vocabulary/);
    await assert.rejects(runner.logProbs([[1, 2]], [[3]]), /2 tokens but 1 targets/);
    await assert.rejects(runner.lastLogits([[]]), /empty/);
  } finally {
    await runner.release();
  }
});
