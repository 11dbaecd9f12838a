import assert from "node:assert/strict";
import { join } from "node:path";
import { extractFromTarGz } from "./tar_gz.ts";

/** An archive made by the system's tar (GNU, gzip), so the reader is checked against an independent writer. */
async function makeArchive(dir: string, files: Record<string, Uint8Array>): Promise<string> {
  for (const [name, data] of Object.entries(files)) {
    await Deno.mkdir(join(dir, "src", name, ".."), { recursive: true });
    await Deno.writeFile(join(dir, "src", name), data);
  }
  const archive = join(dir, "a.tgz");
  const tar = new Deno.Command("tar", {
    args: ["-czf", archive, "--format=pax", "-C", join(dir, "src"), ...Object.keys(files)],
  });
  const { code } = await tar.output();
  assert.equal(code, 0);
  return archive;
}

Deno.test("extractFromTarGz writes exactly the wanted entries (long pax names, sizes off the block size)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const big = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => (i * 31 + 7) & 0xff);
    const long = `package/${"deep/".repeat(30)}lib.so`; // > 100 characters: needs a pax path record
    const archive = await makeArchive(dir, {
      "package/README.md": new TextEncoder().encode("hello"),
      [long]: big,
      "package/Plugins/x.so": new Uint8Array([1, 2, 3]),
    });
    const wanted = new Map([[long, join(dir, "big.so")], ["package/Plugins/x.so", join(dir, "x.so")]]);
    await extractFromTarGz(archive, wanted);
    assert.deepEqual(await Deno.readFile(join(dir, "big.so")), big);
    assert.deepEqual(await Deno.readFile(join(dir, "x.so")), new Uint8Array([1, 2, 3]));
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(names, ["a.tgz", "big.so", "src", "x.so"]);
    await assert.rejects(
      extractFromTarGz(archive, new Map([["package/missing.so", join(dir, "m.so")]])),
      /Cannot extract archive: .*a\.tgz has no package\/missing\.so/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
