import puppeteer from "puppeteer-core";
import { ActpatError } from "../util/errors.ts";
import { writeFileAtomic } from "../util/atomic_write.ts";

/** Where Debian's `chromium` package puts the browser. */
export const DEFAULT_CHROMIUM = "/usr/bin/chromium";

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * The Chromium to print with: `PUPPETEER_EXECUTABLE_PATH` when set (it must exist), else /usr/bin/chromium,
 * else an error telling how to get one.
 */
export function findChromium(
  env: string | undefined = Deno.env.get("PUPPETEER_EXECUTABLE_PATH"),
  fallback: string = DEFAULT_CHROMIUM,
): string {
  if (env) {
    if (!isFile(env)) {
      throw new ActpatError("render report.pdf", `PUPPETEER_EXECUTABLE_PATH=${env} is not a file`);
    }
    return env;
  }
  if (isFile(fallback)) return fallback;
  throw new ActpatError(
    "render report.pdf",
    "no Chromium found (set PUPPETEER_EXECUTABLE_PATH or apt-get install chromium)",
  );
}

/**
 * Flags for a headless print of our own HTML. The machines running this have no network, and the page loads
 * nothing: every background fetch (QUIC, component updates, sync) is off so none waits on a timeout.
 * `--no-sandbox` because CI runs as root in containers where Chromium's sandbox cannot start; the page is
 * our own report, not untrusted content. `--headless` is added by puppeteer itself.
 */
export function chromiumArgs(userDataDir: string): string[] {
  return [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    `--user-data-dir=${userDataDir}`,
  ];
}

export interface PrintOptions {
  /** Chromium binary; default from `findChromium()`. */
  executablePath?: string;
  /** Milliseconds for launch and print each (default 60 s). */
  timeoutMs?: number;
}

/** Prints `html` (self-contained: no external resources) to an A4 PDF at `path`, written atomically. */
export async function printPdf(html: string, path: string, options: PrintOptions = {}): Promise<void> {
  const executablePath = options.executablePath ?? findChromium();
  const timeout = options.timeoutMs ?? 60_000;
  const userDataDir = await Deno.makeTempDir({ prefix: "actpat_chromium_" });
  try {
    let browser;
    try {
      browser = await puppeteer.launch({
        executablePath,
        headless: true,
        args: chromiumArgs(userDataDir),
        timeout,
      });
    } catch (err) {
      throw new ActpatError(
        "render report.pdf",
        `${executablePath} did not start: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    try {
      const page = await browser.newPage();
      await page.setContent(html, { waitUntil: "load", timeout });
      const pdf = await page.pdf({ format: "A4", printBackground: true, preferCSSPageSize: true, timeout });
      await writeFileAtomic(path, pdf);
    } finally {
      await browser.close();
    }
  } finally {
    await Deno.remove(userDataDir, { recursive: true }).catch(() => {});
  }
}
