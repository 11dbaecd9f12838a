import assert from "node:assert/strict";
import { join } from "node:path";
import { tempDir } from "../../test/fixtures/temp_dir.ts";
import { ActpatError, errorLine } from "./errors.ts";
import { describeOsError, isOsError } from "./os_error.ts";

/** The error `fn` throws (it must throw). */
async function thrown(fn: () => Promise<unknown>): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a throw");
}

Deno.test("real OS errors become 'Cannot <action> <path>: <detail>' naming the path", async () => {
  await using tmp = await tempDir();
  const file = join(tmp.path, "file.txt");
  await Deno.writeTextFile(file, "x");
  const cases: [() => Promise<unknown>, string][] = [
    [
      () => Deno.readTextFile(join(tmp.path, "absent.json")),
      `Cannot read ${tmp.path}/absent.json: no such file or directory`,
    ],
    [() => Deno.readFile(tmp.path), `Cannot read ${tmp.path}: is a directory`],
    [
      () => Deno.mkdir(join(file, "sub"), { recursive: true }),
      `Cannot create the folder ${file}/sub: not a directory`,
    ],
    [
      () => Deno.rename(join(tmp.path, "a"), join(tmp.path, "b")),
      `Cannot move ${tmp.path}/a to ${tmp.path}/b: no such file or directory`,
    ],
    [() => Array.fromAsync(Deno.readDir(file)), `Cannot list the folder ${file}: not a directory`],
    [() => Deno.open(file, { createNew: true, write: true }), `Cannot open ${file}: file exists`],
  ];
  if (Deno.build.os === "linux") {
    // sysfs refuses new files even to root: a permission error every user can provoke.
    cases.push([
      () => Deno.writeTextFile("/sys/actpat_test", "x"),
      "Cannot write /sys/actpat_test: permission denied (check the permissions or choose another location)",
    ]);
  }
  for (const [fn, message] of cases) {
    const err = await thrown(fn);
    assert.ok(isOsError(err), err.message);
    const { action, detail } = describeOsError(err);
    assert.equal(`Cannot ${action}: ${detail}`, message);
    assert.equal(errorLine(err), message);
  }
});

Deno.test("a write Deno's permissions refuse names the path; other errors are internal, never a stack", async () => {
  await using tmp = await tempDir();
  const target = join(tmp.path, "out.txt");
  const script = join(tmp.path, "write.ts");
  const errors = new URL("./errors.ts", import.meta.url).href;
  await Deno.writeTextFile(
    script,
    `import { errorLine } from "${errors}";\n` +
      `try { await Deno.writeTextFile(${
        JSON.stringify(target)
      }, "x"); } catch (e) { console.log(errorLine(e)); }\n`,
  );
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-check", "--allow-read", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(
    new TextDecoder().decode(out.stdout).trim(),
    `Cannot write ${target}: Deno's permissions for this task do not allow it (Requires write access to ` +
      `"${target}", run again with the --allow-write flag)`,
  );
  assert.equal(errorLine(new ActpatError("parse --x", "bad")), "Cannot parse --x: bad");
  assert.equal(
    errorLine(new RangeError("offset is outside the bounds of the DataView"), "density"),
    "Cannot run density: internal error: RangeError: offset is outside the bounds of the DataView " +
      "(ACTPAT_DEBUG=1 prints its stack trace)",
  );
  assert.equal(isOsError(new TypeError("x")), false);
});
