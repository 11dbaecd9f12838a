import assert from "node:assert/strict";
import {
  argmaxFirst,
  type ChoiceItem,
  lastTokenPrediction,
  pythonLength,
  scoreChoiceItem,
  scoreLastToken,
  scoreMultipleChoice,
} from "./choice_scores.ts";
import { assertThrowsMsg } from "../../../test/fixtures/assert.ts";

// A hand-made 4-item task; every outcome is worked out in the comments.
const TASK: ChoiceItem[] = [
  // acc: argmax(−2, −1) = 1 ✓. norm: −2/2 = −1, −1/3 = −0.333 → 1 ✓.
  { logLikelihoods: [-2.0, -1.0], choices: ["no", "yes"], gold: 1 },
  // acc: argmax(−3, −4) = 0 ✗. norm: −3/3 = −1, −4/8 = −0.5 → 1 ✓ (length normalisation flips it).
  { logLikelihoods: [-3.0, -4.0], choices: ["cat", "elephant"], gold: 1 },
  // acc: argmax(−1.2, −2, −4) = 0 ✓. norm: −1.2, −1, −1: exact tie, the first maximum (1) wins ✗.
  { logLikelihoods: [-1.2, -2.0, -4.0], choices: ["A", "BB", "CCCC"], gold: 0 },
  // acc: tie −5 = −5 → 0 ✓; norm also tied → 0 ✓.
  { logLikelihoods: [-5.0, -5.0], choices: ["x", "y"], gold: 0 },
];

Deno.test("scoreChoiceItem: per-item predictions by hand", () => {
  assert.deepEqual(TASK.map((t) => scoreChoiceItem(t)), [
    { pred: 1, predNorm: 1, acc: 1, accNorm: 1 },
    { pred: 0, predNorm: 1, acc: 0, accNorm: 1 },
    { pred: 0, predNorm: 1, acc: 1, accNorm: 0 },
    { pred: 0, predNorm: 0, acc: 1, accNorm: 1 },
  ]);
});

Deno.test("scoreMultipleChoice: acc, acc_norm and lm-eval's mean_stderr by hand", () => {
  // acc = [1, 0, 1, 1]: mean 0.75; Σ(x − 0.75)² = 3·0.0625 + 0.5625 = 0.75; sample var 0.25, std 0.5;
  // stderr = 0.5/√4 = 0.25. acc_norm = [1, 1, 0, 1]: the same. All exact in binary floating point.
  const r = scoreMultipleChoice(TASK);
  assert.deepEqual(r.acc, { value: 0.75, stderr: 0.25, n: 4 });
  assert.deepEqual(r.accNorm, { value: 0.75, stderr: 0.25, n: 4 });
});

Deno.test("acc_norm divides by Python's len(choice): code points, not UTF-16 units", () => {
  assert.equal(pythonLength("😀"), 1);
  assert.equal(pythonLength("ab"), 2);
  // len: 1 and 2 → −1.5 vs −1.25 → choice 1. (JS .length = 2 would give −0.75 → choice 0.)
  const s = scoreChoiceItem({ logLikelihoods: [-1.5, -2.5], choices: ["😀", "ab"], gold: 1 });
  assert.equal(s.predNorm, 1);
});

Deno.test("multiple choice rejects malformed items", () => {
  assertThrowsMsg(
    () => scoreChoiceItem({ logLikelihoods: [-1], choices: ["a", "b"], gold: 0 }),
    "1 log-likelihoods for 2",
  );
  assertThrowsMsg(
    () => scoreChoiceItem({ logLikelihoods: [-1, -2], choices: ["a", "b"], gold: 2 }),
    "gold index 2",
  );
  assertThrowsMsg(
    () => scoreChoiceItem({ logLikelihoods: [-1, NaN], choices: ["a", "b"], gold: 0 }),
    "[1] is NaN",
  );
  assertThrowsMsg(
    () => scoreChoiceItem({ logLikelihoods: [-1, -2], choices: ["a", ""], gold: 0 }),
    "empty string",
  );
  assertThrowsMsg(() => scoreMultipleChoice([]), "no items");
  assert.equal(argmaxFirst([-Infinity, -Infinity, -3]), 2);
});

Deno.test("paper's last-token scoring by hand", () => {
  const items = [
    // ids 1 ("no"), 3 ("yes"): logits 2.0 vs 3.0 → 1 = gold ✓.
    { lastLogits: [0.1, 2.0, -1, 3.0, 0.5, 0.0], choiceTokenIds: [1, 3], gold: 1 },
    // ids 4, 1: 0.5 vs 2.0 → 1 ≠ gold 0 ✗.
    { lastLogits: new Float32Array([0.1, 2.0, -1, 3.0, 0.5, 0.0]), choiceTokenIds: [4, 1], gold: 0 },
    // A..D = ids 2..5: −1, 3, 0.5, 0 → 1 = gold ✓.
    { lastLogits: [0.1, 2.0, -1, 3.0, 0.5, 0.0], choiceTokenIds: [2, 3, 4, 5], gold: 1 },
    // Tie 0.5 = 0.5 → first (0) ≠ gold 1 ✗.
    { lastLogits: [0.5, 0.5, 0, 0, 0, 0], choiceTokenIds: [0, 1], gold: 1 },
  ];
  assert.deepEqual(items.map((it) => lastTokenPrediction(it.lastLogits, it.choiceTokenIds)), [1, 1, 1, 0]);
  // acc = [1, 0, 1, 0]: mean 0.5, sample var (4·0.25)/3 = 1/3, stderr = sqrt(1/3)/2.
  const r = scoreLastToken(items);
  assert.equal(r.value, 0.5);
  assert.ok(Math.abs(r.stderr - Math.sqrt(1 / 3) / 2) <= 1e-16, `${r.stderr}`);
  assertThrowsMsg(() => lastTokenPrediction([0, 1], [2]), "token id 2 outside a vocabulary of 2");
  assertThrowsMsg(
    () => scoreLastToken([{ lastLogits: [0, 1], choiceTokenIds: [0, 1], gold: 5 }]),
    "gold index 5",
  );
});
