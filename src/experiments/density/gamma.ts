/**
 * The density threshold γ (`--gamma`, the `gamma` of every config): one grammar for the density, prune,
 * table1, transfer and bench flags. An absolute value (`2e-6`, the paper's) or `q<p>`, the p-quantile of the
 * model's own mean activations (`q0.99`), because the absolute scale differs between models.
 */
import { z } from "zod";
import { UsageError } from "../../util/errors.ts";

/** A density threshold: an absolute γ, or the p-quantile of the mean activations of all scored parameters. */
export type GammaSpec =
  | { kind: "absolute"; value: number; text: string }
  | { kind: "quantile"; p: number; text: string };

const NUMBER = /^[0-9.eE+-]+$/;

/**
 * Parses `--gamma`: a non-negative number (`2e-6`) or `q<p>` with 0 < p < 1 (`q0.99`).
 * @example parseGamma("q0.99") // { kind: "quantile", p: 0.99, text: "q0.99" }
 */
export function parseGamma(text: string): GammaSpec {
  const fail = () =>
    new UsageError(
      "parse --gamma",
      `"${text}" is neither a number ≥ 0 (e.g. 2e-6) nor a quantile q<p> with 0 < p < 1 (e.g. q0.99)`,
    );
  const t = text.trim();
  if (/^q/i.test(t)) {
    const body = t.slice(1);
    const p = Number(body);
    if (body === "" || !NUMBER.test(body) || !(p > 0 && p < 1)) throw fail();
    return { kind: "quantile", p, text: t };
  }
  const value = Number(t);
  if (t === "" || !NUMBER.test(t) || !Number.isFinite(value) || value < 0) throw fail();
  return { kind: "absolute", value, text: t };
}

/** Schema of a γ as configs write it (`"2e-6"`, `"q0.99"`), read with {@link parseGamma}. */
export const Gamma = z.string().refine((t) => {
  try {
    parseGamma(t);
    return true;
  } catch {
    return false;
  }
}, { error: "neither a number ≥ 0 (e.g. 2e-6) nor a quantile q<p> with 0 < p < 1 (e.g. q0.99)" })
  .describe("absolute threshold (2e-6) or a quantile of the model's own mean activations (q0.99)");
