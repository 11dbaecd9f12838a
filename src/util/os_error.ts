/** What each system call of a Deno error message was doing, as the verb of `Cannot <action>`. */
const ACTIONS: Record<string, string> = {
  open: "open",
  readfile: "read",
  read: "read",
  writefile: "write",
  write: "write",
  mkdir: "create the folder",
  remove: "remove",
  rename: "move",
  copy: "copy",
  copyfile: "copy",
  stat: "access",
  lstat: "access",
  realpath: "access",
  readdir: "list the folder",
  truncate: "truncate",
  chmod: "change the mode of",
  symlink: "link",
  link: "link",
  utime: "touch",
};

/** Short hints for the errors a user can fix. */
const HINTS: Record<string, string> = {
  EACCES: "check the permissions or choose another location",
  EPERM: "check the permissions or choose another location",
  EROFS: "the file system is read-only; choose another location",
  ENOSPC: "free some space or choose another location",
  EDQUOT: "free some space or choose another location",
};

/** The `code` of errors that come from the operating system (Deno sets it on every such error). */
function osCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/** True for errors of the operating system or of Deno's permission checks (`Deno.errors.*`). */
export function isOsError(err: unknown): err is Error {
  if (!(err instanceof Error)) return false;
  if (osCode(err) !== undefined) return true;
  return Object.values(Deno.errors).some((cls) => err instanceof cls);
}

/**
 * What an operating-system error (`Deno.errors.PermissionDenied`, `NotFound`, `IsADirectory`, ...) was
 * doing and what went wrong, as the two halves of `Cannot <action>: <detail>`, naming the path Deno's
 * message names. Deno writes them as `Permission denied (os error 13): writefile '/x/y'`; its permission
 * checks as `Requires write access to "/x", run again with the --allow-write flag`.
 * @example describeOsError(new Deno.errors.NotFound("No such file or directory (os error 2): readfile '/a'"))
 * // → { action: "read /a", detail: "no such file or directory" }
 */
export function describeOsError(err: Error): { action: string; detail: string } {
  const notCapable = (Deno.errors as Record<string, unknown>).NotCapable as (new () => Error) | undefined;
  const permission = err.message.match(/^Requires (\w+) access to "?([^",]+)"?/);
  if ((notCapable && err instanceof notCapable) || permission) {
    const [, kind, target] = permission ?? [];
    const verb = kind === "write" ? "write" : kind === "read" ? "read" : `use ${kind} on`;
    return {
      action: kind ? `${verb} ${target}` : "continue",
      detail: `Deno's permissions for this task do not allow it (${err.message})`,
    };
  }
  const m = err.message.match(/^(.*?) \(os error \d+\)(?:: (\w+) '([^']*)'(?: -> '([^']*)')?)?$/s);
  const what = (m?.[1] ?? err.message).replace(/^\w/, (c) => c.toLowerCase());
  const code = osCode(err);
  const detail = `${what}${code && HINTS[code] ? ` (${HINTS[code]})` : ""}`;
  if (!m?.[2]) return { action: "continue", detail };
  const verb = ACTIONS[m[2]] ?? m[2];
  return { action: m[4] !== undefined ? `${verb} ${m[3]} to ${m[4]}` : `${verb} ${m[3]}`, detail };
}
