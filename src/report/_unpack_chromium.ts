/**
 * Run by bundled_chromium.ts in a process of its own, with TMPDIR pointing at a private folder: unpacks the
 * Chromium inside npm @sparticuz/chromium there (the package unpacks into os.tmpdir()) and prints the binary's
 * path. A process of its own, so that the package is fetched only when a PDF needs it (this file is in no
 * other module's graph) and TMPDIR changes nowhere else.
 */
// Not in deno.json's imports nor the lockfile: the package is for this process alone (bundled_chromium.ts).
// deno-lint-ignore no-import-prefix
import chromium from "npm:@sparticuz/chromium@153.0.0";

console.log(await chromium.executablePath());
