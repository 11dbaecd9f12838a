/**
 * Probe (not a test): where a density call spends its time. Opens the activation-gradient graph of a
 * checkpoint with onnxruntime profiling on, runs one batch of B windows of 256 tokens three times, and prints
 * the kernel time per provider and op. `deno run -A bench/probes/webgpu_density_profile.ts DIR [B] [cpu|webgpu]`;
 * figures in bench/RESULTS.md.
 */
import * as ort from "onnxruntime-node";
import { readConfig } from "../../src/model/parse_config.ts";
import { openCheckpointWeights } from "../../src/model/safetensors.ts";
import { buildActivationGradientGraph } from "../../src/model/llama/activation_gradient_graph.ts";
import { parseEp, serializeGraph, webgpuBufferCache } from "../../src/onnx/mod.ts";
import { externalDataDir } from "../../src/onnx/serialize.ts";
import { padBatch } from "../../src/model/llama/llama_runner.ts";

const [dir, batchArg = "8", epArg = "webgpu"] = Deno.args;
const B = Number(batchArg), T = 256, ep = parseEp(epArg);
const config = await readConfig(dir);
const { store } = await openCheckpointWeights(dir);
const bytes = serializeGraph(buildActivationGradientGraph(config, store, { batch: B }));
const extDir = externalDataDir(bytes);
const prefix = await Deno.makeTempDir({ prefix: "actpat-profile-" });
const session = await ort.InferenceSession.create(bytes, {
  executionProviders: [
    ep === "webgpu" ? { name: "webgpu", storageBufferCacheMode: webgpuBufferCache() } : ep,
  ],
  graphOptimizationLevel: "all",
  enableProfiling: true,
  profileFilePrefix: `${prefix}/profile`,
  extra: {
    session: {
      disable_prepacking: "1",
      ...(extDir ? { model_external_initializers_file_folder_path: extDir } : {}),
    },
  },
} as ort.InferenceSession.SessionOptions);
const windows = Array.from(
  { length: B },
  (_, b) => Array.from({ length: T }, (_, t) => 3 + (t * 7919 + b * 31) % (config.vocabSize - 3)),
);
const { ids, mask } = padBatch(windows);
const feeds = {
  input_ids: new ort.Tensor("int64", ids.data as BigInt64Array, [B, T]),
  attention_mask: new ort.Tensor("int64", mask.data as BigInt64Array, [B, T]),
};
for (let i = 0; i < 3; i++) {
  const t0 = performance.now();
  await session.run(feeds);
  console.log(`run ${i}: ${(performance.now() - t0).toFixed(0)} ms`);
}
session.endProfiling();
const [file] = [...Deno.readDirSync(prefix)].map((e) => `${prefix}/${e.name}`);
const events = JSON.parse(await Deno.readTextFile(file)) as {
  cat: string;
  name: string;
  dur: number;
  args?: { op_name?: string; provider?: string };
}[];
const byOp = new Map<string, { n: number; us: number }>();
for (const e of events) {
  if (e.cat !== "Node" || !e.name.endsWith("_kernel_time")) continue;
  const key = `${e.args?.provider ?? "?"} ${e.args?.op_name ?? "?"}`;
  const v = byOp.get(key) ?? { n: 0, us: 0 };
  v.n++;
  v.us += e.dur;
  byOp.set(key, v);
}
console.log(
  "kernel time over the 3 runs by provider and op (top 25; on webgpu: time to encode, not to execute)",
);
for (const [key, v] of [...byOp].sort((a, b) => b[1].us - a[1].us).slice(0, 25)) {
  console.log(`${key.padEnd(40)} n=${String(v.n).padStart(6)} ${(v.us / 1000).toFixed(0).padStart(8)} ms`);
}
await Deno.remove(prefix, { recursive: true });
