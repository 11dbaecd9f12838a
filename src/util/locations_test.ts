import assert from "node:assert/strict";
import { resolve } from "node:path";
import { cacheDir, mirrorDir } from "./locations.ts";

function withEnv(name: string, value: string | undefined, fn: () => void): void {
  const saved = Deno.env.get(name);
  try {
    if (value === undefined) Deno.env.delete(name);
    else Deno.env.set(name, value);
    fn();
  } finally {
    if (saved === undefined) Deno.env.delete(name);
    else Deno.env.set(name, saved);
  }
}

Deno.test("cacheDir honours ACTPAT_CACHE, else ~/.cache/actpat", () => {
  withEnv("ACTPAT_CACHE", "/tmp/actpat-cache-test", () => assert.equal(cacheDir(), "/tmp/actpat-cache-test"));
  withEnv("ACTPAT_CACHE", undefined, () => {
    withEnv("HOME", "/home/someone", () => assert.equal(cacheDir(), "/home/someone/.cache/actpat"));
  });
});

Deno.test("mirrorDir honours ACTPAT_MIRROR; empty disables it; else the shared/hub sibling if present", () => {
  withEnv("ACTPAT_MIRROR", "some/mirror", () => assert.equal(mirrorDir(), resolve("some/mirror")));
  withEnv("ACTPAT_MIRROR", "", () => assert.equal(mirrorDir(), null));
  const sibling = new URL("../../../shared/hub", import.meta.url).pathname;
  const exists = (() => {
    try {
      return Deno.statSync(sibling).isDirectory;
    } catch {
      return false;
    }
  })();
  withEnv("ACTPAT_MIRROR", undefined, () => assert.equal(mirrorDir(), exists ? sibling : null));
});
