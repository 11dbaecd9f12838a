import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { CUDA_PROVIDER_PACKAGE, installCudaProvider, type ProviderPackage } from "./cuda_provider.ts";

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/**
 * A package in the real layout (`package/Plugins/Linux/x64/*.so`), packed by the system's tar, served by a
 * registry on 127.0.0.1: what `--ep cuda` does on first use, without the 179 MB download.
 */
Deno.test("installCudaProvider fetches the pinned package once, extracts its libraries, and repairs a damaged one", async () => {
  const dir = await Deno.makeTempDir();
  const src = join(dir, "src", "package", "Plugins", "Linux", "x64");
  await Deno.mkdir(src, { recursive: true });
  const libs: Record<string, Uint8Array> = {
    "libonnxruntime_providers_cuda.so": new Uint8Array(70_000).map((_, i) => (i * 13) & 0xff),
    "libonnxruntime_providers_shared.so": new TextEncoder().encode("shared"),
    "libonnxruntime_providers_tensorrt.so": new TextEncoder().encode("not wanted"),
  };
  for (const [f, b] of Object.entries(libs)) await Deno.writeFile(join(src, f), b);
  const tgz = join(dir, "pkg.tgz");
  const tar = await new Deno.Command("tar", { args: ["-czf", tgz, "-C", join(dir, "src"), "package"] })
    .output();
  assert.equal(tar.code, 0);
  const tarball = await Deno.readFile(tgz);
  const pkg: ProviderPackage = {
    name: "test.provider",
    version: "1.0.0",
    tarballSha256: sha(tarball),
    files: {
      "libonnxruntime_providers_cuda.so": sha(libs["libonnxruntime_providers_cuda.so"]),
      "libonnxruntime_providers_shared.so": sha(libs["libonnxruntime_providers_shared.so"]),
    },
  };
  const requests: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    requests.push(new URL(req.url).pathname);
    return new Response(tarball);
  });
  const binding = join(dir, "binding");
  await Deno.mkdir(binding);
  const env = {
    NPM_CONFIG_REGISTRY: `http://127.0.0.1:${server.addr.port}/`,
    ACTPAT_CACHE: join(dir, "cache"),
  };
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, Deno.env.get(k)]));
  for (const [k, v] of Object.entries(env)) Deno.env.set(k, v);
  try {
    await installCudaProvider(binding, { quiet: true, pkg });
    assert.deepEqual(requests, ["/test.provider/-/test.provider-1.0.0.tgz"]);
    for (const f of Object.keys(pkg.files)) assert.deepEqual(await Deno.readFile(join(binding, f)), libs[f]);
    assert(!(await Deno.stat(join(binding, "libonnxruntime_providers_tensorrt.so")).catch(() => null)));

    await installCudaProvider(binding, { quiet: true, pkg }); // checked and marked: nothing fetched
    assert.equal(requests.length, 1);

    // A damaged library is extracted again from the cached tarball (no second download).
    await Deno.writeFile(
      join(binding, "libonnxruntime_providers_shared.so"),
      new TextEncoder().encode("bad!!!"),
    );
    await installCudaProvider(binding, { quiet: true, pkg });
    assert.equal(requests.length, 1);
    assert.deepEqual(
      await Deno.readFile(join(binding, "libonnxruntime_providers_shared.so")),
      libs["libonnxruntime_providers_shared.so"],
    );

    // A tarball that does not match its pinned digest is refused and nothing is installed.
    const other = join(dir, "other");
    await Deno.mkdir(other);
    await assert.rejects(
      installCudaProvider(other, {
        quiet: true,
        pkg: { ...pkg, version: "2.0.0", tarballSha256: "0".repeat(64) },
      }),
      /sha256/,
    );
    assert.deepEqual([...Deno.readDirSync(other)], []);
  } finally {
    for (const [k, v] of Object.entries(saved)) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the pinned CUDA provider matches onnxruntime-node's version in deno.json", async () => {
  const deno = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  assert.equal(deno.imports["onnxruntime-node"], `npm:onnxruntime-node@${CUDA_PROVIDER_PACKAGE.onnxruntime}`);
});
