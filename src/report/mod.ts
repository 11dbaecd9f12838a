/**
 * The paper's figures and the run report. `renderReport(runDir)` reads a run directory (manifest.json and the
 * experiments' CSVs), renders each figure as a Vega-Lite spec to SVG without a browser (`specs.ts`,
 * `svg.ts`), builds the report HTML (title page with provenance, one section per figure or table, "Not run"
 * where a CSV is absent: `html.ts`, `tables.ts`, `provenance.ts`) and prints it to PDF through puppeteer-core
 * and Chromium (`pdf.ts`: the machine's, else the one bundled in npm, `bundled_chromium.ts`).
 * @module
 */
export { renderReport, type ReportOptions, type ReportOutput } from "./report.ts";
export { type Figure } from "./specs.ts";
export { renderSvg } from "./svg.ts";
export { chromiumArgs, findChromium, printPdf, SYSTEM_CHROMIUMS } from "./pdf.ts";
export { BUNDLED_CHROMIUM_PACKAGE, bundledChromium } from "./bundled_chromium.ts";
export { BUNDLED_CHROMIUM_PACKAGE, bundledChromium } from "./bundled_chromium.ts";
export { extractProvenance, type Provenance, skipReason } from "./provenance.ts";
export { loadRun, type RunData, type RunTable } from "./run_data.ts";
