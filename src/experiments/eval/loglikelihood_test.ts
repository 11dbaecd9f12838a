import assert from "node:assert/strict";
import { referenceForward, referenceLogProbs } from "../../../test/reference/llama_f64.ts";
import { randomIds, tinyModel } from "../../../test/reference/tiny_models.ts";
import { LlamaRunner } from "../../model/llama/mod.ts";
import {
  batchesByLength,
  type EncodedPair,
  encodePair,
  lastLogitsBatched,
  loglikelihoods,
} from "./loglikelihood.ts";

const bytes = {
  encode(text: string, options: { addBos?: boolean } = {}): number[] {
    const ids = [...new TextEncoder().encode(text)].map((b) => b + 3);
    return options.addBos ? [1, ...ids] : ids;
  },
};

Deno.test("encodePair: lm-eval moves the context's trailing whitespace to the continuation", () => {
  assert.deepEqual(encodePair(bytes, "Q: a", " yes"), {
    context: bytes.encode("Q: a"),
    continuation: bytes.encode(" yes"),
  });
  assert.deepEqual(encodePair(bytes, "Q: a \n", "yes"), {
    context: bytes.encode("Q: a"),
    continuation: bytes.encode(" \nyes"),
  });
  assert.deepEqual(encodePair(bytes, "Q", " no", { addBos: true }).context, [1, ...bytes.encode("Q")]);
});

Deno.test("batchesByLength: longest first, within rows and padded tokens", () => {
  assert.deepEqual(batchesByLength([5, 1, 9, 9, 3], { batchSize: 2 }), [[2, 3], [0, 4], [1]]);
  assert.deepEqual(batchesByLength([5, 1, 9, 9, 3], { batchSize: 8, batchTokens: 12 }), [[2], [3], [0, 4], [
    1,
  ]]);
  assert.deepEqual(batchesByLength([50], { batchTokens: 10 }), [[0]], "a long sequence runs alone");
});

/** Σ log p(continuation | prefix) by the float64 reference, with lm-eval's left truncation. */
function referenceLoglikelihood(
  model: ReturnType<typeof tinyModel>,
  r: EncodedPair,
  maxLength: number,
): number {
  const whole = [...r.context, ...r.continuation].slice(-(maxLength + 1));
  const input = whole.slice(0, -1);
  const lp = referenceLogProbs(referenceForward(model.config, model.weights, input).logits, whole.slice(1));
  return lp.slice(input.length - r.continuation.length).reduce((a, b) => a + b, 0);
}

Deno.test("loglikelihoods: shared and separate inputs equal the float64 reference", async () => {
  const model = tinyModel("gqa_untied", 4);
  const ctx = randomIds(model.config, 7, 1);
  const requests: EncodedPair[] = [
    // Four choices of one context with one-token continuations: one run, log-softmax of its last logits.
    ...[3, 5, 11, 2].map((t) => ({ context: ctx, continuation: [t] })),
    // Multi-token continuations that share their input (" A" as two tokens), others of different lengths,
    // and a context cut on the left by maxLength.
    { context: ctx, continuation: [4, 9] },
    { context: ctx, continuation: [4, 5] },
    { context: ctx, continuation: [4, 9, 1] },
    { context: randomIds(model.config, 3, 2), continuation: [7, 7] },
    { context: randomIds(model.config, 14, 3), continuation: [6, 8] },
    { context: randomIds(model.config, 13, 4), continuation: [5] },
  ];
  const maxLength = 10;
  const want = requests.map((r) => referenceLoglikelihood(model, r, maxLength));
  // Relative to max(1, |x|): float32 logits carry ~1e-6 relative error, summed over a few tokens.
  for (const [dtype, tol] of [["float64", 1e-9], ["float32", 1e-4]] as const) {
    const runner = new LlamaRunner({ config: model.config, weights: model.store }, { dtype, cache: false });
    try {
      const got = await loglikelihoods(runner, requests, { maxLength, batchSize: 3 });
      got.forEach((g, i) => {
        const err = Math.abs(g - want[i]) / Math.max(1, Math.abs(want[i]));
        assert(err <= tol, `${dtype} request ${i}: ${g} vs ${want[i]}`);
      });
      const seqs = [randomIds(model.config, 4, 9), randomIds(model.config, 6, 8)];
      const last = await lastLogitsBatched(runner, seqs, { batchSize: 1 });
      seqs.forEach((s, i) => {
        const ref = referenceForward(model.config, model.weights, s).logits.at(-1)!;
        ref.forEach((x, v) =>
          assert(Math.abs(last[i][v] - x) <= tol * Math.max(1, Math.abs(x)), `last logits ${i}`)
        );
      });
    } finally {
      await runner.release();
    }
  }
  await assert.rejects(
    () => loglikelihoods({} as LlamaRunner, [{ context: ctx, continuation: [] }], { maxLength }),
    /Cannot score a continuation: request 0 has a continuation of no tokens/,
  );
});
