/**
 * Peak memory while a benchmark runs: host RSS and, when nvidia-smi is present, GPU 0's used memory, both
 * sampled on a worker thread (onnxruntime's synchronous `run` would starve timers on the main thread).
 */

/** Peaks since the last {@link MemorySampler.reset}. */
export interface MemoryPeaks {
  /** Peak resident set of this process, bytes. */
  rssBytes: number;
  /** Peak used memory of GPU 0 in MiB (all processes, as nvidia-smi reports it); NaN without nvidia-smi. */
  gpuMiB: number;
}

type Reply = { type: string; rss?: number; gpuMiB?: number; gpuNowMiB?: number; gpu?: boolean };

/**
 * Samples memory on a worker thread.
 * @example
 * const s = await MemorySampler.start({ gpu: true });
 * await s.reset(); await work(); const { rssBytes } = await s.read(); await s.stop();
 */
export class MemorySampler {
  private constructor(private readonly worker: Worker, readonly gpuAvailable: boolean) {}

  /** Starts the sampler thread; with `gpu`, also nvidia-smi (silently absent when it cannot start). */
  static async start(opts: { gpu?: boolean } = {}): Promise<MemorySampler> {
    const worker = new Worker(new URL("./_memory_worker.ts", import.meta.url).href, { type: "module" });
    const reply = await ask(worker, { type: "start", gpu: opts.gpu ?? false });
    return new MemorySampler(worker, reply.gpu === true);
  }

  /** Starts a new peak window at the current usage. */
  async reset(): Promise<void> {
    await ask(this.worker, { type: "reset" });
  }

  /** Peaks since the last reset. */
  async read(): Promise<MemoryPeaks> {
    const r = await ask(this.worker, { type: "read" });
    return { rssBytes: r.rss ?? NaN, gpuMiB: r.gpuMiB ?? NaN };
  }

  /** GPU 0's used memory now in MiB (NaN without nvidia-smi or before its first line). */
  async gpuNow(): Promise<number> {
    return (await ask(this.worker, { type: "read" })).gpuNowMiB ?? NaN;
  }

  /** Stops nvidia-smi and the thread. */
  async stop(): Promise<void> {
    await ask(this.worker, { type: "stop" });
    this.worker.terminate();
  }
}

function ask(worker: Worker, msg: { type: string; gpu?: boolean }): Promise<Reply> {
  return new Promise((resolve) => {
    worker.onmessage = (e: MessageEvent<Reply>) => resolve(e.data);
    worker.postMessage(msg);
  });
}
