import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ActpatError } from "./errors.ts";

/** actpat's cache root (downloads, file digests, built graphs): `$ACTPAT_CACHE`, else `~/.cache/actpat`. */
export function cacheDir(): string {
  const env = Deno.env.get("ACTPAT_CACHE");
  if (env) return env;
  const home = Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE");
  if (!home) throw new ActpatError("find the cache directory", "neither ACTPAT_CACHE nor HOME is set");
  return join(home, ".cache", "actpat");
}

/**
 * The hub mirror root (models and datasets) consulted before any download: `$ACTPAT_MIRROR` (empty: none),
 * else `../shared/hub` beside this repository when it exists (the developers' and CI's mirror), else none.
 */
export function mirrorDir(): string | null {
  const env = Deno.env.get("ACTPAT_MIRROR");
  if (env !== undefined) return env === "" ? null : resolve(env);
  const sibling = fileURLToPath(new URL("../../../shared/hub", import.meta.url));
  try {
    return Deno.statSync(sibling).isDirectory ? sibling : null;
  } catch {
    return null;
  }
}

/**
 * The root of what this repository embeds for the default configuration, consulted before the mirror and any
 * download: datasets as `<root>/datasets/<folder>/<file>`, models as `<root>/models/<ref>` (the repository's
 * own folders; see datasets/README.md).
 */
export function embeddedDir(): string {
  return fileURLToPath(new URL("../../", import.meta.url));
}
