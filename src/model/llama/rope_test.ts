import assert from "node:assert/strict";
import { ropeInvFreq as referenceInvFreq } from "../../../test/reference/llama_f64.ts";
import { TINY_CONFIGS } from "../../../test/reference/tiny_models.ts";
import { ropeInvFreq } from "./rope.ts";

Deno.test("RoPE inverse frequencies agree with the reference's, llama3 scaling included", () => {
  const llama31 = {
    ...TINY_CONFIGS.llama3_rope,
    headDim: 128,
    ropeTheta: 500000,
    ropeScaling: {
      type: "llama3" as const,
      factor: 8,
      lowFreqFactor: 1,
      highFreqFactor: 4,
      originalMaxPositionEmbeddings: 8192,
    },
  };
  for (const config of [...Object.values(TINY_CONFIGS), llama31]) {
    const got = ropeInvFreq(config);
    const want = referenceInvFreq(config);
    assert.equal(got.length, config.headDim / 2);
    // Same formula evaluated in a different order: equal to a few ulps.
    got.forEach((x, i) => assert(Math.abs(x - want[i]) <= 1e-15 * want[i], `${i}: ${x} vs ${want[i]}`));
  }
  // Llama 3.1's published table: the lowest frequency is divided by 8, the highest kept.
  const f = ropeInvFreq(llama31);
  assert.equal(f[0], 1);
  assert(Math.abs(f[63] - Math.pow(500000, -126 / 128) / 8) < 1e-20);
});
