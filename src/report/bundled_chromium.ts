/**
 * The Chromium used when the machine has none: the headless shell that npm package `@sparticuz/chromium`
 * ships inside the package (brotli-compressed, with its fonts and SwiftShader), so `report.pdf` needs no
 * system browser, no apt and no download from a browser site: only the npm registry, like every other
 * dependency.
 *
 * The package is about 65 MB, so it is fetched only when a PDF is printed without another Chromium: it is
 * imported by `_unpack_chromium.ts` alone, run in a process of its own with no config and no lockfile (into
 * Deno's global npm cache, not `node_modules/`). No module of a task or a test imports it, and the project's
 * lockfile does not list it: Deno installs every package of the lockfile on a project's first run, and a literal
 * `import("npm:...")` anywhere in a module graph, even in a branch never taken, is fetched with the graph. The
 * specifier pins the version; the registry's integrity hash is checked on download.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cacheDir } from "../util/locations.ts";
import { ActpatError } from "../util/errors.ts";

/** The npm package and version checked with puppeteer-core 25.16 (A4 PDF, fonts embedded). */
export const BUNDLED_CHROMIUM_PACKAGE = "@sparticuz/chromium@153.0.0";

/** A Chromium ready to launch: the binary and the environment it needs. */
export interface BundledChromium {
  executablePath: string;
  /** Environment for the browser process (fontconfig pointed at the system fonts and the bundled ones). */
  env: Record<string, string>;
}

const UNPACK_SCRIPT = fileURLToPath(new URL("./_unpack_chromium.ts", import.meta.url));

/** The platforms the package ships a binary for. */
export function bundledChromiumSupported(
  os: string = Deno.build.os,
  arch: string = Deno.build.arch,
): boolean {
  return os === "linux" && arch === "x86_64";
}

/**
 * Fontconfig configuration: the system's own configuration when it has one, plus the fonts extracted from
 * the package (Open Sans), so text renders on a machine without any font installed.
 */
export function fontsConf(bundledFonts: string): string {
  return `<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>${bundledFonts}</dir>
</fontconfig>
`;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

let pending: Promise<BundledChromium> | undefined;

/**
 * The bundled Chromium, extracted once into `<cache>/chromium/<version>/` (default cache: `$ACTPAT_CACHE`,
 * else `~/.cache/actpat`). The first call runs `_unpack_chromium.ts`, which fetches the npm package if Deno's
 * npm cache does not hold it yet and unpacks it in a private temporary folder that is then renamed into place, so
 * concurrent runs never see half a binary; later calls and later runs find the folder and run nothing.
 * Throws `Cannot start the bundled Chromium: ...` on an unsupported platform or when the package cannot be had.
 */
export function bundledChromium(cache: string = cacheDir()): Promise<BundledChromium> {
  pending ??= extract(cache).catch((err) => {
    pending = undefined;
    throw err;
  });
  return pending;
}

async function extract(cache: string): Promise<BundledChromium> {
  const action = "start the bundled Chromium";
  if (!bundledChromiumSupported()) {
    throw new ActpatError(
      action,
      `${BUNDLED_CHROMIUM_PACKAGE} ships a binary for Linux x86-64 only, this is ${Deno.build.os} ${Deno.build.arch}`,
    );
  }
  const dir = join(cache, "chromium", BUNDLED_CHROMIUM_PACKAGE.split("@").pop()!);
  const ready = () => ({
    executablePath: join(dir, "chromium"),
    env: { FONTCONFIG_FILE: join(dir, "fonts.conf") },
  });
  if (exists(join(dir, "chromium")) && exists(join(dir, "fonts.conf"))) return ready();

  await Deno.mkdir(join(cache, "chromium"), { recursive: true });
  const temp = await Deno.makeTempDir({ dir: join(cache, "chromium"), prefix: ".extract-" });
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", "--no-config", "--no-lock", "--node-modules-dir=none", UNPACK_SCRIPT],
    cwd: temp,
    env: { TMPDIR: temp },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const binary = new TextDecoder().decode(out.stdout).trim();
  if (out.code !== 0 || binary !== join(temp, "chromium")) {
    await Deno.remove(temp, { recursive: true }).catch(() => {});
    const why = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-3).join(" ");
    throw new ActpatError(
      action,
      `npm:${BUNDLED_CHROMIUM_PACKAGE} could not be fetched or unpacked (${
        why || `it unpacked to ${binary || "nothing"}`
      }); set PUPPETEER_EXECUTABLE_PATH to a Chromium or Chrome instead`,
    );
  }
  await Deno.writeTextFile(join(temp, "fonts.conf"), fontsConf(join(dir, "fonts")));
  try {
    await Deno.rename(temp, dir);
  } catch (err) {
    // Another run finished first: keep its folder.
    await Deno.remove(temp, { recursive: true }).catch(() => {});
    if (!exists(join(dir, "chromium"))) {
      throw new ActpatError(action, `cannot move the unpacked browser to ${dir}: ${(err as Error).message}`);
    }
  }
  return ready();
}
