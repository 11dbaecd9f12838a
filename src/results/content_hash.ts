import { createHash, type Hash } from "node:crypto";
import { ActpatError } from "../util/errors.ts";

const encoder = new TextEncoder();

/**
 * sha256 (hex) of a value's content, for stage reuse: objects hash the same whatever their key order, keys
 * whose value is `undefined` are skipped (as in JSON), numbers hash by their shortest round-trip decimal
 * (so -0, NaN and ±Infinity are distinct and stable), typed arrays by element type and raw bytes (cheap
 * for token ids and weights). Every item is tagged and length-prefixed, so no two values collide by
 * concatenation.
 */
export function contentHash(value: unknown): string {
  const hash = createHash("sha256");
  feed(hash, value, "value");
  return hash.digest("hex");
}

function feed(h: Hash, v: unknown, path: string): void {
  if (v === null || v === undefined) h.update("n;");
  else if (typeof v === "boolean") h.update(v ? "t;" : "f;");
  else if (typeof v === "number") h.update(`d${Object.is(v, -0) ? "-0" : String(v)};`);
  else if (typeof v === "bigint") h.update(`i${v};`);
  else if (typeof v === "string") {
    const bytes = encoder.encode(v);
    h.update(`s${bytes.length}:`);
    h.update(bytes);
  } else if (ArrayBuffer.isView(v)) {
    h.update(`b${v.constructor.name}${v.byteLength}:`);
    h.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  } else if (Array.isArray(v)) {
    h.update(`a${v.length}[`);
    v.forEach((x, i) => feed(h, x, `${path}[${i}]`));
    h.update("]");
  } else if (isPlainObject(v)) {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0
    );
    h.update(`o${entries.length}{`);
    for (const [k, x] of entries) {
      feed(h, k, path);
      feed(h, x, `${path}.${k}`);
    }
    h.update("}");
  } else {
    const what = typeof v === "object" ? (v as object).constructor?.name ?? "object" : typeof v;
    throw new ActpatError(
      "hash stage inputs",
      `${path} is a ${what}; use plain data (strings, numbers, arrays)`,
    );
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
