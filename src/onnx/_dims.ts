/**
 * Arithmetic on symbolic dims. A symbolic dim is a string: a name ("batch") or a product of names with an
 * optional integer coefficient ("4*batch*seq"), kept in canonical order so equal products compare equal.
 */
import { ActpatError } from "../util/errors.ts";
import type { Dim } from "./graph.ts";

interface Factors {
  coef: number;
  syms: string[];
}

function factors(d: Dim): Factors {
  if (typeof d === "number") return { coef: d, syms: [] };
  let coef = 1;
  const syms: string[] = [];
  for (const part of splitTopLevel(d)) {
    if (/^\d+$/.test(part)) coef *= Number(part);
    else syms.push(part);
  }
  return { coef, syms: syms.sort() };
}

/** Splits a product at `*` signs outside parentheses (sums like "(a+b*c)" stay one factor). */
export function splitTopLevel(d: string): string[] {
  const parts: string[] = [];
  let depth = 0, start = 0;
  for (let i = 0; i < d.length; i++) {
    if (d[i] === "(") depth++;
    else if (d[i] === ")") depth--;
    else if (d[i] === "*" && depth === 0) {
      parts.push(d.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(d.slice(start));
  return parts;
}

/** Sum of dims: a number when all are numbers, else an opaque "(n+a+b)" symbol. */
export function dimSum(ds: readonly Dim[]): Dim {
  const n = ds.filter((d) => typeof d === "number").reduce((s: number, d) => s + (d as number), 0);
  const syms = ds.filter((d) => typeof d !== "number").map((d) => String(canonDim(d))).sort();
  if (syms.length === 0) return n;
  if (syms.length === 1 && n === 0) return syms[0];
  return `(${[...(n ? [String(n)] : []), ...syms].join("+")})`;
}

function fromFactors(f: Factors): Dim {
  if (f.syms.length === 0) return f.coef;
  if (f.coef === 0) return 0;
  return (f.coef === 1 ? [] : [String(f.coef)]).concat(f.syms).join("*");
}

/** Canonical form of a dim (`"seq*batch"` → `"batch*seq"`). */
export function canonDim(d: Dim): Dim {
  return fromFactors(factors(d));
}

/** True when two dims are known to be equal. */
export function dimEq(a: Dim, b: Dim): boolean {
  return canonDim(a) === canonDim(b);
}

/** Product of dims. */
export function dimProduct(dims: readonly Dim[]): Dim {
  const f: Factors = { coef: 1, syms: [] };
  for (const d of dims) {
    const g = factors(d);
    f.coef *= g.coef;
    f.syms.push(...g.syms);
  }
  f.syms.sort();
  return fromFactors(f);
}

/** `a / b` when it is exact (as numbers or as products of symbols); undefined otherwise. */
export function dimDivide(a: Dim, b: Dim): Dim | undefined {
  const fa = factors(a), fb = factors(b);
  if (fb.coef === 0 || fa.coef % fb.coef !== 0) return undefined;
  const syms = [...fa.syms];
  for (const s of fb.syms) {
    const i = syms.indexOf(s);
    if (i < 0) return undefined;
    syms.splice(i, 1);
  }
  return fromFactors({ coef: fa.coef / fb.coef, syms });
}

/** Numpy-style broadcast of two shapes (right-aligned); symbolic dims must match by name or meet a 1. */
export function broadcastShapes(a: readonly Dim[], b: readonly Dim[], where: string): Dim[] {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (dimEq(da, db)) out.push(canonDim(da));
    else if (da === 1) out.push(db);
    else if (db === 1) out.push(da);
    else {
      throw new ActpatError(
        `broadcast shapes in ${where}`,
        `[${a.join(", ")}] and [${b.join(", ")}] differ at axis ${i} (${da} vs ${db})`,
      );
    }
  }
  return out;
}

/** Formats a shape for messages and dumps: `[batch, seq, 64]`. */
export function formatShape(shape: readonly Dim[]): string {
  return `[${shape.join(", ")}]`;
}
