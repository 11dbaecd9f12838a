/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

/** A CSV cell for a table: integers as written, other numbers to 4 significant digits, text as is. */
export function formatCell(text: string): string {
  const t = text.trim();
  if (t === "" || Number.isNaN(Number(t))) return text;
  const x = Number(t);
  if (Number.isInteger(x) && Math.abs(x) < 1e9) return String(x);
  if (x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e6)) return x.toExponential(2);
  return String(Number(x.toPrecision(4)));
}

/** The number in a CSV cell, or NaN when it is not one. */
export function toNumber(text: string | undefined): number {
  const t = (text ?? "").trim();
  return t === "" ? NaN : Number(t);
}
