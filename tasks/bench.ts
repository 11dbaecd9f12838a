/**
 * `deno task bench [--suite forward,eval,density,prune] [--shapes stories260K,llama2-7b:2,llama2-7b:4]
 * [--ep cpu,webgpu,cuda] [--dtype float32,float16,bfloat16] [--tf32] [--seq-lens 128,512] [--layer-group K] [--out bench.csv]`:
 * throughput, achieved FLOP/s and peak memory of the engine's graphs (bench/). Not a test: prints a table and
 * writes CSV, plus the density statistic as JSON for bench/reference/density_reference.py. With layer groups
 * the FLOP count is still one pass's (each group repeats the forward and backward pass).
 */
import { cpus } from "node:os";
import { type Suite, SUITES } from "../bench/flops.ts";
import { MemorySampler } from "../bench/memory.ts";
import { benchModel } from "../bench/models.ts";
import { agreements, agreementTable, benchCsv, benchTable, type RunOutputs } from "../bench/report.ts";
import { type BenchRow, type DensityRecord, runCase } from "../bench/suites.ts";
import { parseGamma } from "../src/experiments/density/mod.ts";
import { unsupportedCompute } from "../src/model/llama/mod.ts";
import { writeFileAtomic } from "../src/util/atomic_write.ts";
import { ActpatError, runMain } from "../src/util/errors.ts";
import { kernelPeakRss } from "../src/util/peak_memory.ts";
import { dtypeFlag, epFlag, listFlag, nonNegativeInt, oneOf, parseTaskArgs, positiveInt } from "./_cli.ts";

const USAGE = "usage: deno task bench [--suite forward,eval,density,prune] " +
  "[--shapes stories260K,llama2-7b:2,llama2-7b:4,<checkpoint dir>] [--ep cpu,webgpu,cuda] [--dtype float32,float16,bfloat16] " +
  "[--tf32] [--density-loop on|off] [--threads N] [--seq-lens 128,512] [--batch B] [--layer-group K] [--samples N] [--gamma 2e-6,q0.5,q0.9,q0.99] " +
  "[--seed S] [--checkpoints DIR] [--no-cache] [--out bench.csv] [--density-json FILE] [--quiet]";

function peakRssLine(bytes: number | null): string {
  return bytes === null ? "" : `peak RSS of the process: ${(bytes / 2 ** 30).toFixed(2)} GiB; `;
}

function cpuName(): string {
  try {
    return (cpus()[0]?.model ?? "cpu").replace(/\s+/g, " ").trim();
  } catch {
    return "cpu";
  }
}

async function gpuName(): Promise<string> {
  try {
    const out = await new Deno.Command("nvidia-smi", {
      args: ["-i", "0", "--query-gpu=name", "--format=csv,noheader"],
      stdout: "piped",
      stderr: "null",
    }).output();
    const name = new TextDecoder().decode(out.stdout).trim();
    return out.success && name ? name : "gpu";
  } catch {
    return "gpu";
  }
}

await runMain(async () => {
  const { values } = parseTaskArgs("bench", USAGE, Deno.args, {
    suite: { type: "string", default: "forward,density" },
    shapes: { type: "string", default: "stories260K,llama2-7b:2,llama2-7b:4" },
    ep: { type: "string", default: "cpu" },
    dtype: { type: "string", default: "float32" },
    tf32: { type: "boolean" },
    "density-loop": { type: "string" },
    threads: { type: "string" },
    "seq-lens": { type: "string", default: "128,512" },
    batch: { type: "string", default: "4" },
    "layer-group": { type: "string" },
    samples: { type: "string", default: "8" },
    gamma: { type: "string", default: "q0.5,q0.9,q0.99" },
    seed: { type: "string", default: "0" },
    checkpoints: { type: "string", default: "/tmp/actpat-bench" },
    "no-cache": { type: "boolean" },
    out: { type: "string", default: "bench.csv" },
    "density-json": { type: "string" },
    quiet: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const suites = listFlag(values.suite)!.map((s): Suite => oneOf("suite", s, SUITES));
  const eps = listFlag(values.ep)!.map(epFlag);
  const dtypes = listFlag(values.dtype)!.map(dtypeFlag);
  const seqLens = listFlag(values["seq-lens"])!.map((s) => positiveInt("seq-lens", s)!);
  const gammas = listFlag(values.gamma)!.map(parseGamma);
  const threads = positiveInt("threads", values.threads);
  const batch = positiveInt("batch", values.batch)!;
  const layerGroup = positiveInt("layer-group", values["layer-group"]);
  const samples = positiveInt("samples", values.samples)!;
  const seed = nonNegativeInt("seed", values.seed)!;
  // Density batches inside one Loop graph (default: CUDA only) or one run each: to measure either path.
  const densityLoop = values["density-loop"] === undefined
    ? undefined
    : oneOf("density-loop", values["density-loop"], ["on", "off"] as const) === "on";
  const densityJson = values["density-json"] ?? values.out.replace(/\.csv$/, "") + "_density.json";

  const useGpu = eps.some((e) => e !== "cpu");
  const sampler = await MemorySampler.start({ gpu: useGpu });
  const devices = {
    cpu: `${cpuName()} ×${threads ?? navigator.hardwareConcurrency}`,
    gpu: useGpu ? await gpuName() : "",
  };
  console.error(`cpu: ${devices.cpu}${useGpu ? `; gpu: ${devices.gpu}` : ""}`);

  const rows: BenchRow[] = [];
  const runs: RunOutputs[] = [];
  const density: DensityRecord[] = [];
  const gammaMemo = new Map<string, number[]>();
  const failures: string[] = [];
  const flush = async () => {
    await writeFileAtomic(values.out, benchCsv(rows));
    if (density.length) await writeFileAtomic(densityJson, JSON.stringify({ records: density }));
  };
  try {
    for (const entry of listFlag(values.shapes)!) {
      const model = await benchModel(entry, values.checkpoints, values.quiet);
      for (const suite of suites) {
        for (const ep of eps) {
          for (const dtype of dtypes) {
            const label = `${suite} ${entry} ${ep}/${dtype}`;
            const unsupported = unsupportedCompute(ep, dtype);
            if (unsupported) {
              console.error(`skip: ${label}: ${unsupported}`);
              continue;
            }
            const r = await runCase(model, suite, {
              engine: {
                ep,
                dtype,
                ...(threads ? { threads } : {}),
                ...(values.tf32 ? { tf32: true } : {}),
                ...(densityLoop === undefined ? {} : { densityLoop }),
                ...(values["no-cache"] ? { cache: false } : {}),
              },
              seqLens,
              batch,
              layerGroup,
              samples,
              seed,
              gammas,
              sampler,
              device: ep === "cpu" ? devices.cpu : devices.gpu,
              quiet: values.quiet,
            }, gammaMemo).catch((err) => {
              // One failing case (say, a provider out of memory) must not lose the others' numbers.
              console.error(`error: ${label}: ${(err as Error).message}`);
              failures.push(label);
              return undefined;
            });
            if (!r) continue;
            rows.push(...r.rows);
            density.push(...r.density);
            runs.push({ suite, model: entry, ep, dtype, fingerprints: r.fingerprints, density: r.density });
            for (const row of r.rows) console.error(benchTable([row]).split("\n")[2]);
            await flush();
          }
        }
      }
    }
  } finally {
    await sampler.stop();
  }
  console.log(benchTable(rows));
  const agree = agreements(runs);
  if (agree.length) console.log(`\nagreement with the reference run:\n${agreementTable(agree)}`);
  console.log(
    // The kernel's high-water mark needs read access to /proc/self/status, which Deno grants only with -A
    // (not under the launcher): then the sampled peaks in the table stand alone.
    `\n${peakRssLine(kernelPeakRss())}wrote ${values.out}` +
      (density.length ? ` and ${densityJson}` : ""),
  );
  if (failures.length) throw new ActpatError("run every benchmark case", `failed: ${failures.join("; ")}`);
});
