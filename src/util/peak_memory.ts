/**
 * Peak resident memory of this process during a piece of work: `Deno.memoryUsage().rss` sampled on a timer
 * and at the points the caller knows to be peaks ({@link PeakMemory.sample}, right after a session run), and,
 * on Linux, the kernel's own high-water mark `VmHWM` from /proc/self/status, which no sampling can miss.
 * onnxruntime's `run` holds the JS thread (a 0.5 s run lets a 10 ms timer fire once), so the timer alone
 * misses the peaks inside a run; bench/memory.ts samples on a worker thread for that reason. VmHWM covers the
 * whole process life, so it bounds the work's peak from above.
 */

/** What {@link PeakMemory.stop} reports, in bytes. */
export interface MemoryReport {
  /** Largest sampled RSS. */
  sampledPeakRssBytes: number;
  /** Kernel high-water mark of RSS since the process started (Linux), else null. */
  hwmRssBytes: number | null;
  /** RSS when monitoring started. */
  startRssBytes: number;
  samples: number;
  intervalMs: number;
}

/** Reads VmHWM (peak RSS) from /proc/self/status; null where there is none. */
export function kernelPeakRss(): number | null {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const m = status.match(/^VmHWM:\s+(\d+)\s+kB$/m);
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Samples RSS every `intervalMs` until stopped. */
export class PeakMemory {
  #peak: number;
  #samples = 0;
  readonly #start: number;
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(readonly intervalMs = 50) {
    this.#start = Deno.memoryUsage().rss;
    this.#peak = this.#start;
    this.#timer = setInterval(() => this.sample(), intervalMs);
  }

  /** Takes one sample now (also call it at points known to be peaks, e.g. right after a session run). */
  sample(): void {
    const rss = Deno.memoryUsage().rss;
    this.#samples++;
    if (rss > this.#peak) this.#peak = rss;
  }

  /** Stops sampling and reports. */
  stop(): MemoryReport {
    clearInterval(this.#timer);
    this.sample();
    return {
      sampledPeakRssBytes: this.#peak,
      hwmRssBytes: kernelPeakRss(),
      startRssBytes: this.#start,
      samples: this.#samples,
      intervalMs: this.intervalMs,
    };
  }
}
