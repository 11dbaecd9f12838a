/**
 * Flags derived from an experiment's zod settings schema (the one the reproduce config and the orchestrator
 * read): one flag per field, named by the field in kebab case unless renamed, read with the field's own type
 * and checked by the schema itself, so a task accepts exactly what a config accepts. Help lines come from the
 * fields' `.describe()`.
 */
import type { ParseArgsConfig } from "node:util";
import { z } from "zod";
import { UsageError } from "../src/util/errors.ts";

/** What a field's flag text becomes. */
type FieldKind = "integer" | "number" | "string" | "boolean" | "list";

/** A settings schema: a zod object of flag-able fields. */
// deno-lint-ignore no-explicit-any
export type SettingsSchema = z.ZodObject<any>;

/** The flag of each field: `camelCase` → `camel-case`, or the name `rename` gives. */
export function flagNames(
  schema: SettingsSchema,
  rename: Record<string, string> = {},
): Record<string, string> {
  return Object.fromEntries(
    Object.keys(schema.shape).map((
      key,
    ) => [key, rename[key] ?? key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)]),
  );
}

/** The innermost type of a field (under defaults, optionals, nullables) and its description. */
function inner(field: z.ZodType): { type: z.ZodType; description?: string } {
  let type = field;
  let description = field.description;
  while (type instanceof z.ZodDefault || type instanceof z.ZodOptional || type instanceof z.ZodNullable) {
    type = type.unwrap() as z.ZodType;
    description ??= type.description;
  }
  return { type, description };
}

function kindOf(key: string, field: z.ZodType): FieldKind {
  const { type } = inner(field);
  if (type instanceof z.ZodNumber) return type.isInt ? "integer" : "number";
  if (type instanceof z.ZodBoolean) return "boolean";
  if (type instanceof z.ZodArray && inner(type.element as z.ZodType).type instanceof z.ZodString) {
    return "list";
  }
  if (type instanceof z.ZodArray && inner(type.element as z.ZodType).type instanceof z.ZodEnum) return "list";
  if (type instanceof z.ZodString || type instanceof z.ZodEnum) return "string";
  throw new Error(`settings field ${key}: no flag form for this zod type`);
}

/** parseArgs options of every field of `schema` (no defaults: absent flags take the schema's or the task's). */
export function schemaFlags(
  schema: SettingsSchema,
  rename: Record<string, string> = {},
): NonNullable<ParseArgsConfig["options"]> {
  const names = flagNames(schema, rename);
  return Object.fromEntries(
    Object.entries(schema.shape).map(([key, field]) => [
      names[key],
      { type: kindOf(key, field as z.ZodType) === "boolean" ? "boolean" : "string" },
    ]),
  ) as NonNullable<ParseArgsConfig["options"]>;
}

/** One help line per field: `--flag  description (default …)`. */
export function schemaHelp(
  schema: SettingsSchema,
  options: { rename?: Record<string, string>; defaults?: Record<string, unknown> } = {},
): string {
  const names = flagNames(schema, options.rename);
  const lines = Object.entries(schema.shape).map(([key, field]) => {
    const { description } = inner(field as z.ZodType);
    const given = options.defaults?.[key] ?? defaultOf(field as z.ZodType);
    const shown = given === undefined || given === null
      ? ""
      : ` (default ${Array.isArray(given) ? given.join(",") : given})`;
    return [`  --${names[key]}`, `${description ?? ""}${shown}`.trim()];
  });
  const width = Math.max(...lines.map(([f]) => f.length)) + 2;
  return lines.map(([f, d]) => f.padEnd(width) + wrap(d, HELP_COLUMNS - width).join("\n" + " ".repeat(width)))
    .join("\n");
}

/** Width of the help text. */
const HELP_COLUMNS = 112;

/** `text` in lines of at most `width` characters, broken between words. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  return [...lines, line];
}

function defaultOf(field: z.ZodType): unknown {
  return field instanceof z.ZodDefault ? field.def.defaultValue : undefined;
}

/**
 * The settings the flags give: each flag read as its field's type (integers, numbers, comma lists, strings,
 * booleans), absent ones from `defaults` (then the schema's own), all validated by `schema`. A value the schema
 * refuses is `Cannot parse --flag: <why>`.
 */
export function schemaValues<S extends SettingsSchema>(
  schema: S,
  values: Record<string, unknown>,
  options: { rename?: Record<string, string>; defaults?: Partial<z.input<S>> } = {},
): z.output<S> {
  const names = flagNames(schema, options.rename);
  const raw: Record<string, unknown> = { ...options.defaults };
  for (const [key, field] of Object.entries(schema.shape)) {
    const text = values[names[key]];
    if (text === undefined) continue;
    raw[key] = read(kindOf(key, field as z.ZodType), text);
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const key = String(issue.path[0] ?? "");
  const flag = names[key] ?? key;
  const given = values[flag];
  throw new UsageError(
    `parse --${flag}`,
    given === undefined ? `${issue.message} (no --${flag} given)` : `"${given}"${reason(issue)}`,
  );
}

/** Why the schema refused a flag's value (after the value), in the words of the other flags' errors. */
function reason(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_value") return ` is not one of ${issue.values.join(", ")}`;
  if (issue.code === "invalid_type" && issue.expected === "int") return " is not an integer";
  if (issue.code === "invalid_type" && issue.expected === "number") return " is not a number";
  if (issue.code === "too_small" && issue.origin === "array") {
    return ` needs at least ${issue.minimum} entries`;
  }
  if (issue.code === "too_small") return ` is not ${issue.inclusive ? "≥" : ">"} ${issue.minimum}`;
  if (issue.code === "too_big") return ` is not ${issue.inclusive ? "≤" : "<"} ${issue.maximum}`;
  return `: ${issue.message}`;
}

function read(kind: FieldKind, text: unknown): unknown {
  if (kind === "boolean" || typeof text !== "string") return text;
  if (kind === "list") return text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (kind === "integer" || kind === "number") return text.trim() === "" ? NaN : Number(text);
  return text;
}
