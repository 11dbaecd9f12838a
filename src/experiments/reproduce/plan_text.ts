/** The plan and the cells' states as `reproduce --plan` and `reproduce --status` print them for people. */
import type { ReproducePlan } from "./plan.ts";
import type { CellStatus } from "./slurm.ts";

/** One `key: value` line per setting, values as compact JSON. */
function settingLines(settings: Record<string, unknown>, indent: string): string[] {
  return Object.entries(settings).map(([k, v]) =>
    `${indent}${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`
  );
}

/** The plan as text: the model and engine, then each stage, its settings and its cells. */
export function formatPlan(plan: ReproducePlan): string {
  const depth = plan.model.numLayers === null
    ? "depth unknown until it loads"
    : `${plan.model.numLayers} layers`;
  const lines = [
    `plan: ${plan.title}`,
    `config: ${plan.configPath}`,
    `model: ${plan.model.ref} (${depth})${plan.model.tokenizer ? `, tokenizer ${plan.model.tokenizer}` : ""}`,
    `engine: ${
      JSON.stringify(plan.engine)
    }; seed ${plan.seed} (pruning, massive), activation seed ${plan.activationSeed}`,
    `actpat ${plan.actpat}; ${plan.cells.length} cells`,
  ];
  for (const stage of plan.stages) {
    lines.push(
      "",
      `stage ${stage.name} → ${stage.dir}${stage.status === "skipped" ? ` (skipped: ${stage.reason})` : ""}`,
    );
    lines.push(...settingLines(stage.settings, "    "));
    for (const id of stage.cells) {
      const cell = plan.cells.find((c) => c.id === id)!;
      const after = cell.dependsOn.length ? `after ${cell.dependsOn.join(", ")}` : "no dependencies";
      lines.push(`  cell ${cell.id} [${cell.role}] → ${cell.dir}; ${after}; hash ${cell.hash.slice(0, 16)}`);
      if (cell.role === "part") lines.push(...settingLines(cell.settings, "      "));
    }
  }
  if (plan.skipped.length > 0) {
    lines.push("", "skipped:", ...plan.skipped.map((s) => `  ${s.stage}: ${s.reason}`));
  }
  return lines.join("\n");
}

/** The cells' states as a table, with a count per state. */
export function formatStatus(run: string, states: readonly CellStatus[]): string {
  const counts = new Map<string, number>();
  for (const s of states) counts.set(s.state, (counts.get(s.state) ?? 0) + 1);
  const width = Math.max(4, ...states.map((s) => s.cell.length));
  return [
    `run: ${run}`,
    [...counts].map(([k, n]) => `${k} ${n}`).join(", "),
    ...states.map((s) =>
      `  ${s.cell.padEnd(width)}  ${s.state.padEnd(7)}${s.job ? `  job ${s.job}` : ""}${
        s.detail ? `  ${s.detail}` : ""
      }`
    ),
  ].join("\n");
}
