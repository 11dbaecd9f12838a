import puppeteer from "puppeteer-core";
import { ActpatError } from "../util/errors.ts";
import { writeFileAtomic } from "../util/atomic_write.ts";
import { BUNDLED_CHROMIUM_PACKAGE, bundledChromium } from "./bundled_chromium.ts";

/** Where system packages put Chromium or Chrome (Debian/Ubuntu, Fedora, macOS), tried in order. */
export const SYSTEM_CHROMIUMS: readonly string[] = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
  "/Applications/Chromium.app/Contents/MacOS/Chromium",
];

/** A browser found on the machine and why it was chosen. */
export interface FoundChromium {
  path: string;
  from: "PUPPETEER_EXECUTABLE_PATH" | "system";
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * The Chromium on the machine to print with: `PUPPETEER_EXECUTABLE_PATH` of `env` when set (it must exist),
 * else the first of `system` that exists, else null (then {@link printPdf} uses the one bundled in npm).
 * Both arguments default to the process's environment and {@link SYSTEM_CHROMIUMS}; tests pass their own.
 */
export function findChromium(
  env: Readonly<Record<string, string | undefined>> = Deno.env.toObject(),
  system: readonly string[] = SYSTEM_CHROMIUMS,
): FoundChromium | null {
  const explicit = env.PUPPETEER_EXECUTABLE_PATH;
  if (explicit) {
    if (!isFile(explicit)) {
      throw new ActpatError("render report.pdf", `PUPPETEER_EXECUTABLE_PATH=${explicit} is not a file`);
    }
    return { path: explicit, from: "PUPPETEER_EXECUTABLE_PATH" };
  }
  const path = system.find(isFile);
  return path ? { path, from: "system" } : null;
}

/**
 * Flags for a headless print of our own HTML on a machine that may have no network, run as root. The page
 * loads nothing: every background fetch (QUIC, component updates, sync) is off so none waits on a timeout.
 * `--no-sandbox` because CI runs as root in containers where Chromium's sandbox cannot start; the page is
 * our own report, not untrusted content. A fresh `--user-data-dir` per print keeps runs independent.
 */
export function chromiumArgs(userDataDir: string): string[] {
  return [
    "--headless",
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

/** Options of {@link printPdf}. */
export interface PrintOptions {
  /** Chromium binary; default: {@link findChromium}, else the bundled one. */
  executablePath?: string;
  /** Milliseconds for launch and print each (default 60 s). */
  timeoutMs?: number;
}

/** The browser to launch: the one asked for, else the machine's, else the bundled one. */
async function chooseBrowser(options: PrintOptions): Promise<{ path: string; env?: Record<string, string> }> {
  if (options.executablePath) return { path: options.executablePath };
  const found = findChromium();
  if (found) return { path: found.path };
  try {
    const bundled = await bundledChromium();
    return { path: bundled.executablePath, env: bundled.env };
  } catch (err) {
    throw new ActpatError(
      "render report.pdf",
      `no Chromium found (PUPPETEER_EXECUTABLE_PATH is not set, none of ${
        SYSTEM_CHROMIUMS.join(", ")
      } exists) and the one in npm:${BUNDLED_CHROMIUM_PACKAGE} is not usable: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/**
 * Prints `html` (self-contained: no external resources) to an A4 PDF at `path`, written atomically, with the
 * Chromium of {@link findChromium}, else the one bundled in npm (fetched on first use).
 */
export async function printPdf(html: string, path: string, options: PrintOptions = {}): Promise<void> {
  const browserPath = await chooseBrowser(options);
  const timeout = options.timeoutMs ?? 60_000;
  const userDataDir = await Deno.makeTempDir({ prefix: "actpat_chromium_" });
  try {
    let browser;
    try {
      browser = await puppeteer.launch({
        executablePath: browserPath.path,
        // chromiumArgs carries --headless (the old headless mode, which every Chromium build has, the
        // bundled headless shell included) in place of puppeteer's --headless=new.
        headless: true,
        ignoreDefaultArgs: ["--headless=new"],
        args: chromiumArgs(userDataDir),
        timeout,
        ...(browserPath.env ? { env: { ...Deno.env.toObject(), ...browserPath.env } } : {}),
      });
    } catch (err) {
      throw new ActpatError(
        "render report.pdf",
        `${browserPath.path} did not start: ${(err as Error).message}`,
        { cause: err },
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
