/**
 * The memory bound of the activation experiments (issue 4): 1.5 × (weights + one accumulator for the layers
 * scored at once), and the manifest's `measurements` that hold a run's peak RSS against it.
 */
import type { LlamaConfig } from "../../model/llama_config.ts";
import type { WeightStore } from "../../model/weights.ts";
import type { ComputeDType } from "../../model/llama/_weights.ts";
import type { MemoryReport } from "../../util/peak_memory.ts";
import { layerLinearParams } from "./layer_groups.ts";

const COMPUTE_BYTES: Record<ComputeDType, number> = { float32: 4, float16: 2, bfloat16: 2, float64: 8 };

/**
 * The memory bound: 1.5 × (every weight in the compute dtype + one accumulator for the layers scored
 * at once), the accumulator float32 (float64 for float64 runs). Returns the parts and the bound in bytes.
 */
export function memoryBudget(
  config: LlamaConfig,
  store: WeightStore,
  dtype: ComputeDType,
  scoredLayers: number,
): { weightsBytes: number; accumulatorBytes: number; budgetBytes: number } {
  let params = 0;
  for (const name of store.names()) params += store.get(name).shape.reduce((a, b) => a * b, 1);
  const weightsBytes = params * COMPUTE_BYTES[dtype];
  const accumulatorBytes = scoredLayers * layerLinearParams(config) * (dtype === "float64" ? 8 : 4);
  return { weightsBytes, accumulatorBytes, budgetBytes: 1.5 * (weightsBytes + accumulatorBytes) };
}

/** Manifest measurements: wall time, peak memory and the budget it is held to. */
export function measurements(
  report: MemoryReport,
  budget: ReturnType<typeof memoryBudget>,
  wallSeconds: number,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const peak = report.hwmRssBytes ?? report.sampledPeakRssBytes;
  return {
    wallSeconds,
    peakRssBytes: peak,
    peakRssSource: report.hwmRssBytes === null
      ? "sampled Deno.memoryUsage().rss"
      : "VmHWM (/proc/self/status)",
    ...report,
    ...budget,
    withinBudget: peak <= budget.budgetBytes,
    ...extra,
  };
}
