/**
 * Progress of long work: a redrawn bar with rate and ETA on a TTY, plain periodic lines otherwise (CI logs).
 * Writes to stderr so CSV or JSON on stdout stays clean.
 */
export interface Progress {
  /** Advances by `n` units (default 1). */
  tick(n?: number): void;
  /** Marks the work done and prints the final line. */
  done(): void;
}

export interface ProgressOptions {
  /** Unit shown after the rate, e.g. "samples", "B". */
  unit?: string;
  /** Seconds between plain lines when stderr is not a TTY. */
  plainInterval?: number;
  /** Silences all output (tests). */
  quiet?: boolean;
}

const encoder = new TextEncoder();

/** Starts reporting progress of `label` towards `total` units (0 when unknown). */
export function progress(label: string, total: number, options: ProgressOptions = {}): Progress {
  const unit = options.unit ?? "";
  const tty = Deno.stderr.isTerminal();
  const interval = (options.plainInterval ?? 10) * 1000;
  const start = performance.now();
  let count = 0;
  let lastDraw = 0;
  const write = (text: string) => {
    if (!options.quiet) Deno.stderr.writeSync(encoder.encode(text));
  };
  const line = () => {
    const secs = (performance.now() - start) / 1000;
    const rate = secs > 0 ? count / secs : 0;
    const eta = rate > 0 && total > 0 ? (total - count) / rate : NaN;
    const frac = total > 0 ? Math.min(1, count / total) : 0;
    const bar = tty && total > 0 ? `[${"#".repeat(Math.round(frac * 24)).padEnd(24, ".")}] ` : "";
    const of = total > 0
      ? `${formatCount(count, unit)}/${formatCount(total, unit)}`
      : formatCount(count, unit);
    const etaText = Number.isFinite(eta) ? ` eta ${formatSeconds(eta)}` : "";
    return `${label} ${bar}${of} ${formatCount(rate, unit)}/s${etaText} (${formatSeconds(secs)})`;
  };
  return {
    tick(n = 1) {
      count += n;
      const now = performance.now();
      if (tty && now - lastDraw > 100) {
        write(`\r\x1b[2K${line()}`);
        lastDraw = now;
      } else if (!tty && now - lastDraw > interval) {
        write(`${line()}\n`);
        lastDraw = now;
      }
    },
    done() {
      write(tty ? `\r\x1b[2K${line()}\n` : `${line()}\n`);
    },
  };
}

function formatCount(n: number, unit: string): string {
  const abs = Math.abs(n);
  const [v, p] = abs >= 1e9
    ? [n / 1e9, "G"]
    : abs >= 1e6
    ? [n / 1e6, "M"]
    : abs >= 1e3
    ? [n / 1e3, "k"]
    : [n, ""];
  const digits = Number.isInteger(v) ? 0 : v < 10 ? 2 : 1;
  return `${v.toFixed(digits)}${p}${unit ? ` ${unit}` : ""}`.trim();
}

function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${Math.round(s % 60)}s` : `${Math.floor(m / 60)}h${m % 60}m`;
}
