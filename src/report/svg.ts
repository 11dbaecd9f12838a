import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { ActpatError } from "../util/errors.ts";

/** Renders a Vega-Lite spec to SVG markup headlessly (vega's scenegraph, no browser, no canvas). */
export async function renderSvg(spec: TopLevelSpec, name = "figure"): Promise<string> {
  try {
    const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
    const svg = await view.toSVG();
    view.finalize();
    return svg;
  } catch (err) {
    throw new ActpatError(`render ${name}`, (err as Error).message, { cause: err });
  }
}
