/// <reference lib="deno.worker" />
/**
 * Memory sampler thread for {@link MemorySampler}: onnxruntime's `run` blocks the main thread, so the
 * samples are taken here. Host: `Deno.memoryUsage().rss` (the whole process's resident set) every 20 ms.
 * GPU 0: `nvidia-smi --query-gpu=memory.used -lms 100` streamed from a subprocess, when nvidia-smi exists.
 */

const INTERVAL_MS = 20;
let peakRss = Deno.memoryUsage().rss;
let gpuNow = NaN;
let peakGpu = NaN;
let smi: Deno.ChildProcess | undefined;

setInterval(() => {
  peakRss = Math.max(peakRss, Deno.memoryUsage().rss);
}, INTERVAL_MS);

async function readSmi(child: Deno.ChildProcess): Promise<void> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of child.stdout) {
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      const mib = Number(line.trim());
      if (line.trim() !== "" && Number.isFinite(mib)) {
        gpuNow = mib;
        peakGpu = Number.isNaN(peakGpu) ? mib : Math.max(peakGpu, mib);
      }
    }
  }
}

function startSmi(): boolean {
  try {
    smi = new Deno.Command("nvidia-smi", {
      args: ["-i", "0", "--query-gpu=memory.used", "--format=csv,noheader,nounits", "-lms", "100"],
      stdout: "piped",
      stderr: "null",
    }).spawn();
  } catch {
    return false;
  }
  readSmi(smi).catch(() => {});
  return true;
}

self.onmessage = (e: MessageEvent<{ type: "start" | "reset" | "read" | "stop"; gpu?: boolean }>) => {
  const msg = e.data;
  if (msg.type === "start") {
    const gpu = msg.gpu ? startSmi() : false;
    self.postMessage({ type: "started", gpu });
  } else if (msg.type === "reset") {
    peakRss = Deno.memoryUsage().rss;
    peakGpu = gpuNow;
    self.postMessage({ type: "reset" });
  } else if (msg.type === "read") {
    peakRss = Math.max(peakRss, Deno.memoryUsage().rss);
    self.postMessage({ type: "read", rss: peakRss, gpuMiB: peakGpu, gpuNowMiB: gpuNow });
  } else if (msg.type === "stop") {
    try {
      smi?.kill("SIGTERM");
    } catch {
      // already gone
    }
    self.postMessage({ type: "stopped" });
    self.close();
  }
};
