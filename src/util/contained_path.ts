import { isAbsolute, join, relative, sep } from "node:path";
import { ActpatError } from "./errors.ts";

/**
 * `root/rel` for a `rel` that comes from the user (a model or dataset reference), refusing one that would
 * leave `root`: an absolute path, a `..` segment, a backslash. `action` is the error's `Cannot <action>`.
 * @example joinInside("/hub/models", "karpathy/tinyllamas", { action: "resolve model karpathy/tinyllamas" })
 */
export function joinInside(root: string, rel: string, { action }: { action: string }): string {
  const segments = rel.split(/[/\\]/);
  if (isAbsolute(rel) || rel.includes("\\") || segments.includes("..")) {
    throw new ActpatError(
      action,
      `"${rel}" would leave ${root} (no "..", absolute or backslashed segments in a mirror or hub ` +
        "reference); give a local path starting with ./ or / for a folder elsewhere",
    );
  }
  const path = join(root, rel);
  const back = relative(root, path);
  if (back.startsWith(`..${sep}`) || back === ".." || isAbsolute(back)) {
    throw new ActpatError(action, `"${rel}" would leave ${root}`);
  }
  return path;
}
