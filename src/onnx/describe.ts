import { formatShape } from "./_dims.ts";
import type { AttrValue, Graph, Value } from "./graph.ts";

function fmtValue(v: Value | null): string {
  return v ? `${v.name}: ${v.dtype}${formatShape(v.shape)}` : "∅";
}

function fmtAttr(a: AttrValue): string {
  if (typeof a === "number" || typeof a === "string") return String(a);
  if (Array.isArray(a)) return `[${a.join(",")}]`;
  if ("float" in a) return String(a.float);
  if ("floats" in a) return `[${a.floats.join(",")}]`;
  if ("tensor" in a) return `${a.tensor.dtype}(${Array.from(a.tensor.data as ArrayLike<unknown>).join(",")})`;
  if ("graph" in a) return `<graph ${a.graph.name}: ${a.graph.nodes.length} nodes>`;
  return "?";
}

/**
 * A readable dump of a graph: inputs, initializers (count and bytes, external ones by file), then one line per
 * node: `name  Op{attrs}  inputs → outputs` with dtypes and shapes.
 */
export function describeGraph(graph: Graph, opts: { initializers?: boolean } = {}): string {
  const lines = [`graph ${graph.name}: ${graph.nodes.length} nodes`];
  for (const v of graph.inputs) lines.push(`input  ${fmtValue(v)}`);
  const ext = graph.initializers.filter((i) => i.external);
  const inline = graph.initializers.filter((i) => i.data);
  lines.push(
    `initializers: ${inline.length} inline (${inline.reduce((s, i) => s + i.data!.byteLength, 0)} bytes), ` +
      `${ext.length} external`,
  );
  if (opts.initializers) {
    for (const i of graph.initializers) {
      const where = i.external ? ` @ ${i.external.path}+${i.external.offset}` : "";
      lines.push(`init   ${fmtValue(i.value)}${where}`);
    }
  }
  for (const n of graph.nodes) {
    const attrs = Object.entries(n.attrs).map(([k, a]) => `${k}=${fmtAttr(a)}`).join(" ");
    lines.push(
      `${n.name}  ${n.opType}${attrs ? `{${attrs}}` : ""}  ${n.inputs.map(fmtValue).join(", ")} → ${
        n.outputs.map(fmtValue).join(", ")
      }`,
    );
  }
  for (const o of graph.outputs) lines.push(`output ${o.name} = ${fmtValue(o.value)}`);
  return lines.join("\n");
}
