/**
 * Least privilege (issue 16): every `deno task` but `test` starts its task through tasks/_launch.ts with the
 * permissions tasks/_permissions.ts computes from its flags, never `-A`; a task cannot write outside them and
 * says so in one `Cannot …` line (exit 2).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DATASETS } from "../src/data/registry.ts";
import { SYSTEM_CHROMIUMS } from "../src/report/pdf.ts";
import {
  CONFIG_FILE,
  DATASET_HOSTS,
  REPO_ROOT,
  taskFile,
  taskPermissions,
  TASKS,
} from "../tasks/_permissions.ts";
import { tempDir } from "./fixtures/temp_dir.ts";
import { fixtureTables, writeRunFixture } from "./fixtures/run_fixture.ts";

const ENV = { HOME: "/home/u", TMPDIR: "/tmp/u" };
const env = (extra: Record<string, string> = {}) => (name: string) =>
  ({ ...ENV, ...extra } as Record<string, string>)[name];
const flag = (flags: string[], name: string) =>
  flags.find((f) => f === `--allow-${name}` || f.startsWith(`--allow-${name}=`));
const list = (flags: string[], name: string) => flag(flags, name)?.split("=")[1]?.split(",") ?? [];

Deno.test("deno.json: every task but test runs through the launcher, none with -A", async () => {
  const config = JSON.parse(await Deno.readTextFile(join(REPO_ROOT, "deno.json")));
  const tasks = config.tasks as Record<string, { command: string; description: string }>;
  for (const [name, { command, description }] of Object.entries(tasks)) {
    assert.ok(description.length > 10, `${name} has a description for \`deno task\``);
    if (name === "test") continue;
    assert.equal(command, `deno run --allow-read --allow-env --allow-run tasks/_launch.ts ${name}`, name);
    assert.ok(TASKS.includes(name), `${name} has a permission profile`);
    await Deno.stat(taskFile(name));
  }
  assert.deepEqual([...TASKS].sort(), Object.keys(tasks).filter((t) => t !== "test").sort());
});

Deno.test("taskPermissions: write only the cache and the paths the flags name; net only the hub and publishers", () => {
  const cache = "/home/u/.cache/actpat";
  const density = taskPermissions("density", ["--model", "m", "--out", "runs/x", "--gamma", "1"], {
    env: env(),
    cwd: "/w",
  });
  assert.deepEqual(list(density, "write"), [cache, "/w/runs/x"]);
  assert.ok(list(density, "net").includes("huggingface.co") && list(density, "net").includes("*.hf.co"));
  assert.ok(!list(density, "net").includes("registry.npmjs.org"));
  assert.deepEqual(list(density, "ffi"), [join(REPO_ROOT, "node_modules")]);
  assert.equal(flag(density, "run"), undefined);
  assert.ok(density.includes("--v8-flags=--expose-gc"));
  assert.ok(
    !density.some((f) => f === "-A" || f === "--allow-all" || f === "--allow-write" || f === "--allow-net"),
  );

  // No --out: a new folder under results/runs. ACTPAT_CACHE and HF_ENDPOINT are followed.
  const similarity = taskPermissions("similarity", ["--model=m", "--pairs", "a:b"], {
    env: env({ ACTPAT_CACHE: "/c", HF_ENDPOINT: "http://127.0.0.1:8123" }),
    cwd: "/w",
  });
  assert.deepEqual(list(similarity, "write"), ["/c", "/w/results/runs"]);
  assert.equal(list(similarity, "net")[0], "127.0.0.1:8123");

  // prune writes its run and the pruned checkpoint's folder (--save), nothing else.
  const prune = taskPermissions("prune", ["--model", "m", "--save", "ck/pruned"], { env: env(), cwd: "/w" });
  assert.deepEqual(list(prune, "write"), [cache, "/w/results/runs", "/w/ck/pruned"]);

  // bench writes its CSV and density JSON atomically (temporary file beside each): their folders.
  const bench = taskPermissions("bench", ["--out", "/r/b.csv", "--density-json", "/j/d.json"], {
    env: env(),
  });
  assert.deepEqual(list(bench, "write"), [cache, "/r", "/j", "/tmp/actpat-bench"]);

  // compare reads two runs and writes --out only: no net, no write without --out; ffi only for the
  // onnxruntime binding every task's module graph loads.
  const compare = taskPermissions("compare", ["a", "b"], { env: env(), cwd: "/w" });
  assert.deepEqual(compare, [
    "--allow-read",
    "--allow-env",
    "--allow-sys",
    `--allow-ffi=${join(REPO_ROOT, "node_modules")}`,
  ]);
  assert.deepEqual(list(taskPermissions("compare", ["a", "b", "--out", "/o"], { env: env() }), "write"), [
    "/o",
  ]);

  // figures writes into its run, the cache (the bundled Chromium unpacks there) and Chromium's profile under
  // TMPDIR; runs the given Chromium, the system's, or the bundled one (unpacked by Deno itself).
  const figures = taskPermissions("figures", ["/r"], {
    env: env({ PUPPETEER_EXECUTABLE_PATH: "/opt/chrome" }),
    denoPath: "/bin/deno",
  });
  assert.deepEqual(list(figures, "write"), [cache, "/r", "/tmp/u"]);
  assert.deepEqual(list(figures, "run"), [
    "/opt/chrome",
    ...SYSTEM_CHROMIUMS,
    "/bin/deno",
    `${cache}/chromium/153.0.0/chromium`,
  ]);
  assert.deepEqual(list(figures, "net"), ["127.0.0.1", "localhost", "[::1]"]);

  // --ep cuda: the npm registry for the provider, nvidia-smi, and libraries found by soname.
  const cuda = taskPermissions("generate", ["--model", "m", "--ep", "cuda"], {
    env: env({ NPM_CONFIG_REGISTRY: "https://npm.example:8443/" }),
  });
  assert.ok(list(cuda, "net").includes("npm.example:8443"));
  assert.equal(flag(cuda, "ffi"), "--allow-ffi");
  assert.deepEqual(list(cuda, "run"), ["nvidia-smi"]);

  // reproduce: Slurm's commands only for --executor slurm and --status; Deno (its workers) is run anyway.
  const runs = (args: string[]) =>
    list(taskPermissions("reproduce", args, { env: env(), denoPath: "/bin/deno" }), "run");
  const slurm = ["sbatch", "squeue", "sacct", "scontrol"];
  for (const c of slurm) {
    assert.ok(runs(["--executor", "slurm", "--out", "/r"]).includes(c), c);
    assert.ok(runs(["--status", "--out", "/r"]).includes(c), c);
    assert.ok(!runs(["--out", "/r", "--devices", "cpu:0,cpu:1"]).includes(c), c);
  }
  assert.ok(runs(["--out", "/r", "--devices", "0,1"]).includes("/bin/deno"));
  assert.equal(
    flag(taskPermissions("generate", ["--model", "m"], { env: env() }), "write"),
    `--allow-write=${cache}`,
  );
});

Deno.test("taskPermissions: every dataset download URL in the registry is a granted host", () => {
  const granted = taskPermissions("density", [], { env: env(), cwd: "/w" });
  const hosts = list(granted, "net");
  const covered = (host: string) =>
    hosts.some((h) =>
      h === host || (h.startsWith("*.") && (host.endsWith(h.slice(1)) || host === h.slice(2)))
    );
  const urls = DATASETS.names().flatMap((name) =>
    Object.values(DATASETS.get(name).splits).flatMap((s) =>
      s.sources.flatMap((src) => src.files.map((f) => f.url))
    )
  ).filter((u): u is string => u !== undefined);
  assert.ok(urls.length > 10);
  for (const url of urls) {
    assert.ok(covered(new URL(url).hostname), `${url} (granted: ${DATASET_HOSTS.join(", ")})`);
  }
});

/** Runs `tasks/<task>.ts args` as the launcher would, with the permissions computed for `grantedFor`. */
async function runAs(task: string, grantedFor: string[], args: string[], cwd: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--config",
      CONFIG_FILE,
      ...taskPermissions(task, grantedFor, { cwd }),
      taskFile(task),
      ...args,
    ],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

Deno.test("a task cannot write outside its granted paths: one Cannot line, exit 2, nothing written", async () => {
  await using tmp = await tempDir();
  const allowed = join(tmp.path, "allowed");
  await Deno.mkdir(allowed);
  const elsewhere = join(tmp.path, "elsewhere");
  // Granted for --out allowed/ck, asked to write elsewhere/ck.
  const res = await runAs("make-checkpoint", ["--out", join(allowed, "ck")], [
    "--shape",
    "tiny",
    "--out",
    join(elsewhere, "ck"),
    "--quiet",
  ], tmp.path);
  assert.equal(res.code, 2, res.stderr);
  assert.match(
    res.stderr,
    new RegExp(
      `^error: Cannot (write|create the folder) ${elsewhere}[^\\n]*: Deno's permissions for this task do not allow it`,
      "m",
    ),
  );
  assert.doesNotMatch(res.stderr, /^\s+at /m);
  await assert.rejects(Deno.stat(elsewhere), Deno.errors.NotFound);
  // compare without --out may not write at all (it never writes into the runs it reads).
  const runs = join(tmp.path, "runs");
  await writeRunFixture(join(runs, "a"), fixtureTables());
  const cmp = await runAs("compare", [join(runs, "a"), join(runs, "a")], [
    join(runs, "a"),
    join(runs, "a"),
    "--out",
    join(runs, "a"),
  ], tmp.path);
  assert.equal(cmp.code, 2, cmp.stderr);
  assert.match(
    cmp.stderr,
    new RegExp(`^error: Cannot write ${join(runs, "a")}[^\\n]*Deno's permissions`, "m"),
  );
  assert.doesNotMatch(cmp.stdout, /OK|FAIL/);
});

Deno.test("the launcher runs a task with its permissions and passes its exit code on", async () => {
  await using tmp = await tempDir();
  const a = join(tmp.path, "a"), b = join(tmp.path, "b");
  const tables = fixtureTables();
  await writeRunFixture(a, tables);
  const moved = structuredClone(tables);
  const density = moved["density.csv"];
  density.rows[0][density.header.indexOf("active")] = "-5";
  await writeRunFixture(b, moved);
  const launch = (...args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-env",
        "--allow-run",
        join(REPO_ROOT, "tasks/_launch.ts"),
        ...args,
      ],
      cwd: tmp.path,
      stdout: "piped",
      stderr: "piped",
    }).output();
  const same = await launch("compare", a, a, "--out", join(tmp.path, "cmp"));
  assert.equal(same.code, 0, new TextDecoder().decode(same.stderr));
  await Deno.stat(join(tmp.path, "cmp/compare.csv"));
  assert.equal((await launch("compare", a, b)).code, 1);
  const bad = await launch("compare", a);
  assert.equal(bad.code, 2);
  assert.match(
    new TextDecoder().decode(bad.stderr),
    /^error: Cannot compare runs: expected RUN_A and RUN_B/m,
  );
  const unknown = await launch("nosuch");
  assert.equal(unknown.code, 2);
  assert.match(
    new TextDecoder().decode(unknown.stderr),
    /^error: Cannot launch task: "nosuch" is not one of/,
  );
});
