import * as ort from "onnxruntime-node";
import { loadModel } from "./src/model/load_model.ts";
import { activationGradientGraphKey, buildActivationGradientGraph } from "./src/model/llama/activation_gradient_graph.ts";
import { cachedModel } from "./src/onnx/mod.ts";
import { externalDataDir } from "./src/onnx/serialize.ts";
import { padBatch } from "./src/model/llama/llama_runner.ts";
import { kernelPeakRss } from "./src/experiments/peak_memory.ts";
const [opt, prepack] = Deno.args;
const rss = () => (Deno.memoryUsage().rss / 2 ** 30).toFixed(2);
const m = await loadModel("/tmp/l2-4");
const o = { layers: [0], density: true };
const { path } = await cachedModel(activationGradientGraphKey(m.config, m.weights, o), () => buildActivationGradientGraph(m.config, m.weights, o));
const bytes = await Deno.readFile(path);
const session: Record<string, string> = { model_external_initializers_file_folder_path: externalDataDir(bytes)! };
if (prepack === "noprepack") session["session.disable_prepacking"] = "1";
let t = performance.now();
const s = await ort.InferenceSession.create(bytes, { executionProviders: ["cpu"], graphOptimizationLevel: opt as "all", intraOpNumThreads: 2, extra: { session } });
console.log(opt, prepack, "created", ((performance.now() - t) / 1000).toFixed(1), "s rss", rss(), "hwm", (kernelPeakRss()! / 2 ** 30).toFixed(2));
const { ids, mask } = padBatch([Array.from({ length: 16 }, (_, i) => 100 + i)]);
for (let k = 0; k < 2; k++) {
  t = performance.now();
  const out = await s.run({ input_ids: new ort.Tensor("int64", ids.data as BigInt64Array, ids.dims), attention_mask: new ort.Tensor("int64", mask.data as BigInt64Array, mask.dims) });
  console.log(opt, prepack, "run", ((performance.now() - t) / 1000).toFixed(1), "s rss", rss(), "hwm", (kernelPeakRss()! / 2 ** 30).toFixed(2), Object.keys(out).length);
}
