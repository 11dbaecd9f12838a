/** Test support: the marks of a Vega SVG, read back from its markup (vega writes one aria-label per item). */

/** One mark group of the SVG: its mark type and the aria-labels of its items. */
export interface MarkGroup {
  type: string;
  labels: string[];
}

/** Every mark group with items (`role="graphics-symbol"`) in document order. */
export function markGroups(svg: string): MarkGroup[] {
  const groups: MarkGroup[] = [];
  // Leaf mark groups (line, rect, symbol, text, rule) hold no nested <g>, so the first </g> closes them.
  for (const m of svg.matchAll(/<g class="mark-(\w+) role-mark[^>]*>(.*?)<\/g>/gs)) {
    const items = [...m[2].matchAll(/<\w+ [^>]*role="graphics-symbol"[^>]*>/g)];
    if (items.length === 0) continue;
    const labels = items.map((i) => /aria-label="([^"]*)"/.exec(i[0])?.[1] ?? "");
    groups.push({ type: m[1], labels });
  }
  return groups;
}

/** The aria-labels of all items of mark type `type`. */
export function markLabels(svg: string, type: string): string[] {
  return markGroups(svg).filter((g) => g.type === type).flatMap((g) => g.labels);
}

/** `{layer: "0", similarity: "0.5"}` from an aria-label `layer: 0; similarity: 0.5`. */
export function parseLabel(label: string): Record<string, string> {
  return Object.fromEntries(
    label.split("; ").map((kv) => {
      const i = kv.indexOf(": ");
      return [kv.slice(0, i), kv.slice(i + 2)];
    }),
  );
}
