/**
 * `deno task figures RUN_DIR`: every figure of the run as SVG under RUN_DIR/figures/, and RUN_DIR/report.html
 * printed to RUN_DIR/report.pdf. A section whose CSV is absent says "Not run" with the manifest's reason.
 */
import { join } from "node:path";
import { ActpatError } from "../util/errors.ts";
import { writeFileAtomic } from "../util/atomic_write.ts";
import { escapeHtml } from "./_format.ts";
import { type ContentsEntry, htmlDocument, titlePage } from "./html.ts";
import { printPdf } from "./pdf.ts";
import { extractProvenance, skipReason } from "./provenance.ts";
import { loadRun, type RunData, type RunTable } from "./run_data.ts";
import {
  densityFigure,
  densityGammasFigure,
  type Figure,
  massiveFigure,
  relevanceFigure,
  similarityFigure,
  similaritySummaryFigure,
  sparsityFigure,
  transferFigure,
} from "./specs.ts";
import { renderSvg } from "./svg.ts";
import { attentionMassFigure, featuresFigure } from "./massive_specs.ts";
import { interventionHtml, rawTable, table1Html, transferHtml } from "./tables.ts";

/** A piece of a section drawn from one CSV: a figure or a table. */
type Block =
  & { file: string; caption: string; unless?: string; optional?: boolean }
  & ({ figure: (t: RunTable) => Figure } | { table: (t: RunTable) => string });

interface SectionDef {
  title: string;
  /** Manifest stage names whose skip reason explains a missing CSV. */
  stages: string[];
  blocks: Block[];
}

/** The report's sections in the paper's order. */
const SECTIONS: SectionDef[] = [
  {
    title: "Published vs reproduced",
    stages: [],
    blocks: [{
      file: "published.csv",
      optional: true,
      table: rawTable,
      caption:
        "Every number the paper states (paper/published.json, with its table, row and column) beside " +
        "this run's (accuracies in percent); not a regression gate.",
    }],
  },
  {
    title: "Figure 1 — Activated parameters per layer",
    stages: ["density"],
    blocks: [
      {
        file: "density.csv",
        figure: densityFigure,
        caption:
          "Parameters with mean attribution |w ∂y/∂w| above γ, summed over the 7 linear weights of each layer.",
      },
      {
        file: "density_gammas.csv",
        optional: true,
        figure: densityGammasFigure,
        caption:
          "The same counts at the γ of the paper's code (distribution_draw.py: 2e-6 for 32 layers, else " +
          "5e-6) and of its text (2e-5 for 32 layers, 5e-6 for 40), one panel per γ.",
      },
    ],
  },
  {
    title: "Similarity of activated parameters: same- vs cross-domain pairs",
    stages: ["similarity"],
    blocks: [
      {
        file: "similarity.csv",
        figure: similarityFigure,
        caption:
          "Per layer, Σ|v_a v_b| / (‖v_a‖‖v_b‖) over sample pairs from the same dataset and from different ones.",
      },
      {
        file: "similarity_summary.csv",
        unless: "similarity.csv",
        figure: similaritySummaryFigure,
        caption: "Mean similarity per layer (per-pair values absent: similarity.csv was not written).",
      },
    ],
  },
  {
    title: "Dataset relevance",
    stages: ["relevance"],
    blocks: [{
      file: "relevance.csv",
      figure: relevanceFigure,
      caption: "Mean deep-layer similarity of activated parameters between datasets.",
    }],
  },
  {
    title: "Table 1 — Pruning methods × tasks",
    stages: ["table1"],
    blocks: [{
      file: "table1.csv",
      table: table1Html,
      caption:
        "Dense, magnitude, uniform Wanda, activation-layerwise Wanda and OWL+Wanda (perplexity; accuracy ± stderr).",
    }],
  },
  {
    title: "Layerwise sparsity of the pruned model",
    stages: ["prune", "table1"],
    blocks: [{
      file: "sparsity.csv",
      figure: sparsityFigure,
      caption: "Target and achieved sparsity per layer.",
    }],
  },
  {
    title: "Table 2 — Cross-task calibration transfer",
    stages: ["transfer"],
    blocks: [
      {
        file: "transfer.csv",
        figure: transferFigure,
        caption: "Rows: calibration set used for pruning; columns: task.",
      },
      { file: "transfer.csv", table: transferHtml, caption: "All metrics of the transfer matrix." },
    ],
  },
  {
    title: "Table 3 — STS: do similar sentences share activation patterns?",
    stages: ["sts"],
    blocks: [{
      file: "sts.csv",
      table: rawTable,
      caption: "Spearman correlation of activation similarity (and hidden-state baselines) with gold scores.",
    }],
  },
  {
    title: "Massive activations",
    stages: ["massive"],
    blocks: [
      {
        file: "massive.csv",
        figure: massiveFigure,
        caption: "Top-1/2/3 and median magnitude of the residual stream after each block, log scale.",
      },
      { file: "massive.csv", table: rawTable, caption: "Per-layer statistics and the ratio top-1 / median." },
      { file: "massive_locations.csv", table: rawTable, caption: "Where the largest activations sit." },
    ],
  },
  {
    title: "Massive activations in one prompt (the paper's Figure 1)",
    stages: ["massive"],
    blocks: [{
      file: "massive_features.csv",
      figure: featuresFigure,
      caption: "|activation| of the residual stream after one layer for one prompt (the reference's " +
        '"Summer is warm. Winter is cold.", no BOS), one panel per token over every feature dimension; ' +
        "massive entries labelled with their dimension (else the three largest), their tokens starred.",
    }],
  },
  {
    title: "Attention on the massive-activation tokens",
    stages: ["massive"],
    blocks: [{
      file: "attention_mass.csv",
      figure: attentionMassFigure,
      caption: "Per layer and head, the attention probability on the tokens holding massive activations, " +
        "summed over those tokens, mean over query positions and analysed sequences (token_set says which " +
        "tokens when the model has none).",
    }],
  },
  {
    title: "Intervention on massive activations",
    stages: ["intervention", "massive"],
    blocks: [{
      file: "intervention.csv",
      table: interventionHtml,
      caption:
        "Perplexity with the massive activations set to zero or to their mean, against the untouched model.",
    }],
  },
];

/** What `renderReport` wrote. */
export interface ReportOutput {
  svgs: string[];
  html: string;
  /** Absent when `pdf: false`. */
  pdf?: string;
  /** Sections (or parts) without data, with the reason shown. */
  notRun: string[];
}

export interface ReportOptions {
  /** Print report.pdf (default true); false writes SVGs and report.html only. */
  pdf?: boolean;
  /** Timestamp printed on the title page (default now). */
  renderedAt?: Date;
  executablePath?: string;
}

function notRun(run: RunData, def: SectionDef, file: string): string {
  const reason = def.stages.map((s) => skipReason(run.manifest, s)).find((r) => r !== undefined);
  return reason ?? `${file} is absent and manifest.json records no reason`;
}

async function renderSection(
  run: RunData,
  def: SectionDef,
  svgs: Map<string, string>,
  notRunOut: string[],
): Promise<{ html: string; status: string }> {
  const present = def.blocks.filter((b) => run.tables.has(b.file) && !(b.unless && run.tables.has(b.unless)));
  const head = `<section><h2>${escapeHtml(def.title)}</h2>`;
  if (present.length === 0) {
    const reason = notRun(run, def, def.blocks[0].file);
    notRunOut.push(`${def.title}: ${reason}`);
    return {
      html: `${head}<p class="not-run">Not run: ${escapeHtml(reason)}</p></section>`,
      status: `not run: ${reason}`,
    };
  }
  const parts: string[] = [];
  const problems: string[] = [];
  const missing = new Set<string>();
  for (const block of def.blocks) {
    const table = run.tables.get(block.file);
    if (block.unless && run.tables.has(block.unless)) continue;
    if (!table) {
      // An optional block (a CSV only some configs write) is left out without a note.
      if (block.optional || missing.has(block.file)) continue;
      missing.add(block.file);
      const reason = notRun(run, def, block.file);
      notRunOut.push(`${def.title} (${block.file}): ${reason}`);
      parts.push(`<p class="not-run">Not run (${escapeHtml(block.file)}): ${escapeHtml(reason)}</p>`);
      continue;
    }
    const source = `<span class="note">(${escapeHtml(table.path)}, ${table.rows.length} rows)</span>`;
    try {
      if ("figure" in block) {
        const figure = block.figure(table);
        const svg = await renderSvg(figure.spec, figure.name);
        svgs.set(figure.name, svg);
        parts.push(`<figure>${svg}<figcaption>${escapeHtml(block.caption)} ${source}</figcaption></figure>`);
      } else {
        parts.push(`<p class="note">${escapeHtml(block.caption)} ${source}</p>${block.table(table)}`);
      }
    } catch (err) {
      if (!(err instanceof ActpatError)) throw err;
      problems.push(err.message);
      parts.push(`<p class="problem">${escapeHtml(err.message)}; the rows as written:</p>${rawTable(table)}`);
    }
  }
  const status = problems.length > 0 ? `drawn with problems: ${problems.join("; ")}` : "drawn";
  return {
    html: `${head}\n${parts.join("\n")}\n</section>`,
    status: missing.size > 0 ? `${status}, partly not run` : status,
  };
}

/** Renders the figures (SVG) and report (HTML, PDF) of the run directory `runDir` into it. */
export async function renderReport(runDir: string, options: ReportOptions = {}): Promise<ReportOutput> {
  try {
    if (!(await Deno.stat(runDir)).isDirectory) throw new Error("not a directory");
  } catch (err) {
    throw new ActpatError("render figures", `run directory ${runDir}: ${(err as Error).message}`);
  }
  const run = await loadRun(runDir);
  const svgs = new Map<string, string>();
  const notRunList: string[] = [];
  const contents: ContentsEntry[] = [];
  const sections: string[] = [];
  for (const def of SECTIONS) {
    // A section of optional blocks only (published numbers) is left out when the run has none of them.
    if (def.blocks.every((b) => b.optional) && !def.blocks.some((b) => run.tables.has(b.file))) continue;
    const { html, status } = await renderSection(run, def, svgs, notRunList);
    sections.push(html);
    contents.push({ title: def.title, status });
  }
  const provenance = extractProvenance(run.manifest);
  const title = titlePage(provenance, {
    runDir,
    renderedAt: (options.renderedAt ?? new Date()).toISOString(),
    manifestProblem: run.manifestProblem,
    contents,
  });
  const html = htmlDocument(`actpat report — ${provenance.model ?? runDir}`, [title, ...sections].join("\n"));

  const svgPaths: string[] = [];
  for (const [name, svg] of svgs) {
    const path = join(runDir, "figures", name);
    await writeFileAtomic(path, svg);
    svgPaths.push(path);
  }
  const htmlPath = join(runDir, "report.html");
  await writeFileAtomic(htmlPath, html);
  const output: ReportOutput = { svgs: svgPaths, html: htmlPath, notRun: notRunList };
  if (options.pdf ?? true) {
    output.pdf = join(runDir, "report.pdf");
    await printPdf(html, output.pdf, { executablePath: options.executablePath });
  }
  return output;
}
