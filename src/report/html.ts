/** The report's HTML: document shell with print CSS, and the title page with the run's provenance. */
import { escapeHtml } from "./_format.ts";
import { htmlTable } from "./tables.ts";
import type { Provenance } from "./provenance.ts";

const CSS = `
@page { size: A4; margin: 14mm 12mm; }
body { font-family: Helvetica, Arial, sans-serif; font-size: 10pt; color: #111; margin: 0; }
h1 { font-size: 20pt; margin: 0 0 2mm; }
h2 { font-size: 14pt; margin: 0 0 3mm; }
h3 { font-size: 11pt; margin: 5mm 0 2mm; }
.subtitle { font-size: 12pt; color: #333; margin: 0 0 4mm; }
section { break-before: page; }
figure { margin: 2mm 0 4mm; }
figure svg { max-width: 100%; height: auto; }
figcaption, .note { font-size: 8.5pt; color: #444; }
table { border-collapse: collapse; margin: 2mm 0 4mm; font-size: 8.5pt; }
th, td { border-bottom: 1px solid #ccc; padding: 1.2mm 2mm; text-align: left; vertical-align: top; }
th { border-bottom: 1.5px solid #333; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.prov td:first-child { font-weight: bold; white-space: nowrap; }
.mono { font-family: "DejaVu Sans Mono", monospace; font-size: 7.5pt; word-break: break-all; }
.not-run { border-left: 3px solid #b00; padding: 2mm 3mm; background: #fbeaea; }
.problem { border-left: 3px solid #c80; padding: 2mm 3mm; background: #fdf3e1; }
/* The title page holds everything on one A4 page: compact type and rows (checked by report_test.ts). */
header { font-size: 8pt; }
header h3 { font-size: 9.5pt; margin: 3mm 0 1mm; }
header table { font-size: 7.5pt; margin: 1mm 0 2mm; }
header th, header td { padding: 0.5mm 1.5mm; }
header .mono { font-size: 6.5pt; }
`;

/** A complete HTML document around `body`. */
export function htmlDocument(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${CSS}</style></head>
<body>
${body}
</body></html>
`;
}

const UNRECORDED = "not recorded in manifest.json";

/** One entry of the title page's contents: a report section and whether it has data. */
export interface ContentsEntry {
  title: string;
  status: string;
}

/** The title page: model and provenance (weights and dataset checksums, EP, versions, dates), then contents. */
export function titlePage(
  p: Provenance,
  info: { runDir: string; renderedAt: string; manifestProblem?: string; contents: ContentsEntry[] },
): string {
  const mono = (s: string) => `<span class="mono">${escapeHtml(s)}</span>`;
  const text = (s: string | undefined) => escapeHtml(s ?? UNRECORDED);
  const weights = p.weights.length > 0
    ? p.weights.map((w) => `${escapeHtml(w.path)}<br>sha256 ${mono(w.sha256 ?? "not recorded")}`).join("<br>")
    : UNRECORDED;
  const versions = Object.entries(p.versions).map(([k, v]) => `${escapeHtml(k)} ${escapeHtml(v)}`).join(", ");
  const dates = Object.entries(p.dates).map(([k, v]) => `${escapeHtml(k)}: ${escapeHtml(v)}`).join("<br>");
  const rows: [string, string][] = [
    ["Model", text(p.model)],
    ["Revision", text(p.revision)],
    ["Weights", weights],
    ["Execution provider", text(p.executionProvider)],
    ["Seed", text(p.seed)],
    ["Command", p.command ? mono(p.command) : UNRECORDED],
    ["Status", text(p.status)],
    ["Host", text(p.host)],
    ["Versions", versions || UNRECORDED],
    ["Dates", dates || UNRECORDED],
    ["Run directory", mono(info.runDir)],
    ["Report rendered", escapeHtml(info.renderedAt)],
  ];
  const prov = `<table class="prov"><tbody>${
    rows.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${v}</td></tr>`).join("\n")
  }</tbody></table>`;
  const datasetRows = p.datasets.flatMap((d) =>
    d.missing !== undefined
      ? [`<tr><td>${escapeHtml(d.name)}</td><td colspan="2">missing: ${escapeHtml(d.missing)}</td></tr>`]
      : d.files.length === 0
      ? [`<tr><td>${escapeHtml(d.name)}</td><td colspan="2">no files recorded</td></tr>`]
      : d.files.map((f) =>
        `<tr><td>${escapeHtml(d.name)}</td><td>${escapeHtml(f.path)}</td><td>${
          mono(f.sha256 ?? "not recorded")
        }</td></tr>`
      )
  );
  const datasets = datasetRows.length > 0
    ? `<table class="data"><thead><tr><th>dataset</th><th>file</th><th>sha256</th></tr></thead><tbody>${
      datasetRows.join("\n")
    }</tbody></table>`
    : `<p>Datasets: ${UNRECORDED}.</p>`;
  const skipped = p.skipped.length > 0
    ? `<h3>Left out</h3>\n${htmlTable(["stage", "reason"], p.skipped.map((s) => [s.stage, s.reason]))}`
    : "";
  const problem = info.manifestProblem ? `<p class="problem">${escapeHtml(info.manifestProblem)}.</p>` : "";
  const contents = htmlTable(["section", "status"], info.contents.map((c) => [c.title, c.status]));
  return `<header>
<h1>actpat report</h1>
<p class="subtitle">Activated parameter patterns of ${escapeHtml(p.model ?? "an unrecorded model")}</p>
${problem}
${prov}
<h3>Datasets</h3>
${datasets}
${skipped}
<h3>Contents</h3>
${contents}
</header>`;
}
