import assert from "node:assert/strict";
import { activationAllocation } from "./layer_allocation.ts";
import { REPO_C4_COUNTS } from "../../../test/fixtures/paper_c4_counts.ts";
import {
  backSolveAlpha,
  PAPER_LIST_MODELS,
  PAPER_LIST_SOURCE,
  PAPER_SPARSITY_LISTS,
  paperListAllocation,
  paperListFor,
} from "./paper_lists.ts";

/**
 * SHA-256 of each source line as it stands in Qian2333/Exploring-Activation-Patterns-of-Parameters-in-
 * Language-Models@9c6a037 lib/util/prune_ori.py (leading spaces stripped), computed from the fetched file with
 * `sha256sum` of the line without its indentation and line end. Python's repr and JavaScript's Number#toString
 * both print the shortest round-trip digits, so the line rebuilt from our numbers must hash the same.
 */
const SOURCE_LINE_SHA256: Record<string, string> = {
  "llama2-7b": "4f057ff6671a0ab1fb939767a34da1a8a3166dbe4c13203654737e90dd540edf",
  "llama2-13b": "b3d1358516b84005f0673cfcccaa8ee3cfe496b749b544b121622828169ceb51",
  "llama3-8b": "4cb62911bedebfa607caf793d9dede64258de952b418d6883430dbad90d4da53",
  "llama-7b": "38e221a5403d2583c96a813e4857262e854e6c611355d7a108ad4115f47e416e",
};

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("paper lists: each equals its source line in lib/util/prune_ori.py, digit for digit", async () => {
  for (const model of PAPER_LIST_MODELS) {
    const line = `sparsitys = [${PAPER_SPARSITY_LISTS[model].map(String).join(", ")}]`;
    assert.equal(await sha256(line), SOURCE_LINE_SHA256[model], model);
  }
  assert.deepEqual(PAPER_LIST_SOURCE.lines, {
    "llama2-7b": 301,
    "llama2-13b": 303,
    "llama3-8b": 305,
    "llama-7b": 307,
  });
});

Deno.test("paper lists: one entry per layer, mean 0.5 (the authors' S)", () => {
  const layers = { "llama-7b": 32, "llama2-7b": 32, "llama2-13b": 40, "llama3-8b": 32 };
  for (const model of PAPER_LIST_MODELS) {
    const list = PAPER_SPARSITY_LISTS[model];
    assert.equal(list.length, layers[model], model);
    const mean = list.reduce((a, b) => a + b, 0) / list.length;
    assert.ok(Math.abs(mean - 0.5) < 1e-15, `${model}: mean ${mean}`);
    assert.deepEqual(paperListAllocation(model, { layers: list.length, sparsity: 0.5 }), [...list]);
  }
});

Deno.test("paper lists cannot come from α = 2, β = 0.2: the α each back-solves to, and the round trip", () => {
  const expected = { "llama2-7b": 0.636, "llama-7b": 0.579, "llama2-13b": 0.708, "llama3-8b": 0.124 };
  for (const model of PAPER_LIST_MODELS) {
    const list = PAPER_SPARSITY_LISTS[model];
    const solved = backSolveAlpha(list, { sparsity: 0.5, beta: 0.2 })!;
    assert.ok(Math.abs(solved.alpha - expected[model]) < 5e-4, `${model}: α ${solved.alpha}`);
    // Independent check: the formula itself, on counts z (shifted: it standardises) with the solved α,
    // gives the list back.
    const again = activationAllocation(solved.z.map((x) => x + 10), {
      sparsity: 0.5,
      alpha: solved.alpha,
      beta: 0.2,
    });
    for (let i = 0; i < list.length; i++) {
      assert.ok(Math.abs(again[i] - list[i]) < 1e-9, `${model} layer ${i}`);
    }
    assert.ok(Math.abs(solved.alpha - 2) > 1.2, "far from the paper's α = 2");
  }
});

Deno.test("the formula (α = 2, β = 0.2) on the repository's C4 counts vs the llama2-7b list: up to 0.0498", () => {
  const formula = activationAllocation(REPO_C4_COUNTS, { sparsity: 0.5, alpha: 2, beta: 0.2 });
  const mean = formula.reduce((a, b) => a + b, 0) / formula.length;
  assert.ok(Math.abs(mean - 0.5) < 1e-12, "the formula keeps the mean S");
  const list = PAPER_SPARSITY_LISTS["llama2-7b"];
  const diff = Math.max(...formula.map((s, i) => Math.abs(s - list[i])));
  assert.ok(Math.abs(diff - 0.0498) < 1e-4, `max |formula − list| = ${diff}`);
});

Deno.test("paper lists: other models, depths and sparsities are refused, naming the four", () => {
  assert.throws(
    () => paperListAllocation(null, { layers: 5, sparsity: 0.5 }),
    /^ActpatError: Cannot allocate layer sparsity \(paper-lists\): the authors' per-layer lists exist for llama-7b, llama2-7b, llama2-13b, llama3-8b only/,
  );
  assert.throws(
    () => paperListAllocation("qwen2-7b", { layers: 28, sparsity: 0.5 }),
    /exist for llama-7b, llama2-7b, llama2-13b, llama3-8b only, not for "qwen2-7b".*activation-formula/,
  );
  assert.throws(
    () => paperListAllocation("llama2-7b", { layers: 5, sparsity: 0.5 }),
    /32 layers but the model has 5/,
  );
  assert.throws(
    () => paperListAllocation("llama2-7b", { layers: 32, sparsity: 0.6 }),
    /mean sparsity of 0.5/,
  );
});

Deno.test("paperListFor: model references to lists", () => {
  assert.equal(paperListFor("meta-llama/Llama-2-7b-hf"), "llama2-7b");
  assert.equal(paperListFor("meta-llama/Llama-2-13b-hf"), "llama2-13b");
  assert.equal(paperListFor("meta-llama/Meta-Llama-3-8B"), "llama3-8b");
  assert.equal(paperListFor("huggyllama/llama-7b"), "llama-7b");
  assert.equal(paperListFor("Qwen/Qwen2-7B"), null);
  assert.equal(paperListFor("stories260K-hf"), null);
});
