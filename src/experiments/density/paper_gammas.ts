/**
 * The paper's two γ: what its code counts with and what its text says. Code: `distribution_draw.py` lines
 * 101-105 (Qian2333/Exploring-Activation-Patterns-of-Parameters-in-Language-Models@9c6a037) counts
 * `vec > 0.000002` when the model has 32 layers, else `vec > 0.000005`. Text (AAAI 2025, Validation 1, below
 * the allocation formula; Figures 1, 2 and 4 captions): "γ = 0.00002 for all models with 32 layers, while
 * γ = 0.000005 for 40-layers (Llama-2-13B)"; it names no γ for other depths. A density run counts every γ of
 * its `gammas` list (density_gammas.csv) and the report draws them side by side.
 */
import { z } from "zod";
import { Gamma } from "./gamma.ts";

/** Where a γ comes from. */
export const GAMMA_SOURCES = ["code", "text"] as const;
export type GammaSource = typeof GAMMA_SOURCES[number];

/** One γ of a density run's `gammas` list, with its source. */
export const SourcedGamma = z.strictObject({
  gamma: Gamma,
  source: z.enum(GAMMA_SOURCES).describe("code: the authors' distribution_draw.py; text: the paper's text"),
});
export type SourcedGamma = z.infer<typeof SourcedGamma>;

/** The code's γ for a model of `layers` decoder layers: 2e-6 for 32 layers, else 5e-6. */
export function codeGamma(layers: number): string {
  return layers === 32 ? "2e-6" : "5e-6";
}

/** The text's γ for `layers` decoder layers (2e-5 for 32, 5e-6 for 40), or null where it names none. */
export function textGamma(layers: number): string | null {
  return layers === 32 ? "2e-5" : layers === 40 ? "5e-6" : null;
}

/** Both γ of the paper for a model of `layers` layers (the text's only where it names one). */
export function paperGammas(layers: number): SourcedGamma[] {
  const text = textGamma(layers);
  return [
    { gamma: codeGamma(layers), source: "code" },
    ...(text ? [{ gamma: text, source: "text" as const }] : []),
  ];
}
