/**
 * `reproduce --executor slurm` on a real single-node Slurm cluster (test/fixtures/slurm_cluster.ts: Debian's
 * packages unpacked into the cache, daemons started here and stopped afterwards), on a reduced stories260K
 * grid (Table 1's five rows, two calibration sets of Table 2, STS): the cells run as dependent sbatch jobs; a
 * cell killed mid-run with `scancel` is resubmitted, alone with what depended on it, by the next `reproduce`;
 * the tables are byte for byte those of `--executor local`; no two cells write the same file.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readReproduceConfig } from "../src/experiments/reproduce/mod.ts";
import { type SlurmCluster, slurmUnavailable, startSlurmCluster } from "./fixtures/slurm_cluster.ts";
import { runTask } from "./fixtures/run_task.ts";

const LAUNCH = fileURLToPath(new URL("../tasks/_launch.ts", import.meta.url));

/** `deno task reproduce ARGS`, through the launcher (the task's own permissions), with `PATH`. */
async function reproduce(args: string[], path: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", "--allow-run", LAUNCH, "reproduce", ...args],
    env: { PATH: path },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function waitFor(what: string, seconds: number, ok: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`not within ${seconds} s: ${what}`);
}

async function queue(cluster: SlurmCluster): Promise<string[]> {
  return (await cluster.client("squeue", ["-h", "-o", "%i %T %j"])).split("\n").filter((l) =>
    l.trim() !== ""
  );
}

/** Every file under `dir`, relative to it. */
async function files(dir: string, sub = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(join(dir, sub))) {
    const rel = join(sub, e.name);
    if (e.isDirectory) out.push(...await files(dir, rel));
    else out.push(rel);
  }
  return out;
}

/** The CSVs of the stage folders (not the parts' own under cells/). */
async function stageCsvs(run: string): Promise<string[]> {
  return (await files(run)).filter((f) => /^0\d-[\w-]+\/[^/]+\.csv$/.test(f)).sort();
}

Deno.test({
  name: "reproduce --executor slurm on a real cluster: same CSVs as local, a scancelled cell is resubmitted",
  ignore: slurmUnavailable() !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "actpat_slurm_run_" });
    const cluster = await startSlurmCluster();
    try {
      const base = await readReproduceConfig();
      const config = {
        ...base,
        title: "stories260K, a reduced grid for the Slurm test",
        density: null,
        similarity: null,
        relevance: null,
        massive: null,
        table1: { ...base.table1!, tasks: ["wikitext2", "boolq"], limit: 20 },
        transfer: {
          ...base.transfer!,
          calibrations: ["c4:train-first100", "boolq:validation-first200"],
          tasks: ["boolq"],
          limit: 20,
        },
        sts: { ...base.sts!, benchmarks: ["stsb" as const], samples: 16 },
      };
      const cfg = join(tmp, "config.json");
      await Deno.writeTextFile(cfg, JSON.stringify(config));
      const local = join(tmp, "local");
      const slurm = join(tmp, "slurm");

      const ref = await runTask("reproduce.ts", ["--config", cfg, "--out", local, "--no-pdf"]);
      assert.equal(ref.code, 0, ref.stderr);

      const args = ["--config", cfg, "--out", slurm, "--no-pdf", "--executor", "slurm"];
      const first = await reproduce(args, cluster.path);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /submitted; follow with/);
      const plan = JSON.parse(await Deno.readTextFile(join(slurm, "plan.json")));
      const ids: string[] = plan.plan.cells.map((c: { id: string }) => c.id);
      assert.equal(ids.length, 10, ids.join(", "));
      for (const id of ids) {
        assert.match(first.stderr, new RegExp(`${id.replaceAll(".", "\\.")} submitted as job`));
      }

      // Kill the slowest part while it runs: it and what depends on it (table1, the finishing job) go.
      const victim = "table1.wanda-activation";
      const job = JSON.parse(await Deno.readTextFile(join(slurm, "slurm", `${victim}.job.json`))).jobId;
      await waitFor(
        `${victim} runs`,
        180,
        async () => (await queue(cluster)).some((l) => l.startsWith(`${job} RUNNING`)),
      );
      await cluster.client("scancel", [job]);
      await waitFor("the queue empties", 240, async () => (await queue(cluster)).length === 0);

      const status = await reproduce(["--status", "--out", slurm, "--json"], cluster.path);
      assert.equal(status.code, 0, status.stderr);
      const states = new Map<string, string>(
        JSON.parse(status.stdout).map((s: { cell: string; state: string }) => [s.cell, s.state]),
      );
      assert.equal(states.get(victim), "failed", status.stdout);
      assert.notEqual(states.get("table1"), "done", status.stdout);
      const missing = ids.filter((id) => states.get(id) !== "done");
      assert.ok(missing.includes("table1") && missing.includes(victim), missing.join(", "));

      // The next reproduce submits exactly what is not done.
      const again = await reproduce(args, cluster.path);
      assert.equal(again.code, 0, again.stderr);
      const resubmitted = [...again.stderr.matchAll(/reproduce: (\S+) submitted as job/g)].map((m) => m[1]);
      assert.deepEqual(resubmitted.sort(), missing.sort(), again.stderr);
      await waitFor("the run finishes", 300, async () => {
        const m = JSON.parse(await Deno.readTextFile(join(slurm, "manifest.json")));
        return m.status === "ok" || m.status === "failed";
      });
      const manifest = JSON.parse(await Deno.readTextFile(join(slurm, "manifest.json")));
      assert.equal(manifest.status, "ok", manifest.error);
      await waitFor("the finishing job ends", 60, async () => (await queue(cluster)).length === 0);

      const text = await reproduce(["--status", "--out", slurm], cluster.path);
      assert.match(text.stdout, /^done 10$/m, text.stdout);

      // Everything done: the next reproduce submits nothing and finishes here, every stage reused.
      const done = await reproduce(args, cluster.path);
      assert.equal(done.code, 0, done.stderr);
      assert.doesNotMatch(done.stderr, /submitted as job/);
      assert.equal((done.stdout.match(/reused in/g) ?? []).length, 3, done.stdout);

      const csvs = await stageCsvs(local);
      assert.deepEqual(csvs, [
        "04-table1/sparsity.csv",
        "04-table1/table1.csv",
        "05-transfer/sparsity.csv",
        "05-transfer/transfer.csv",
        "06-sts/sts.csv",
        "06-sts/sts_pairs.csv",
      ]);
      assert.deepEqual(await stageCsvs(slurm), csvs);
      for (const f of csvs) {
        assert.equal(await Deno.readTextFile(join(slurm, f)), await Deno.readTextFile(join(local, f)), f);
      }

      // No two cells write the same file: each cell's files are its folder and its own records, logs and
      // job files; the rest belongs to the run itself (its manifest, plan, report).
      const cells: { id: string; dir: string }[] = plan.plan.cells;
      const owner = (f: string) =>
        cells.filter((c) => {
          const id = c.id.replaceAll(".", "\\.");
          const records =
            `cells/${id}\\.(done|failed)\\.json|logs/${id}\\.\\d+\\.log|slurm/${id}\\.(job\\.json|sbatch)`;
          return f.startsWith(`${c.dir}/`) || new RegExp(`^(${records})$`).test(f);
        }).map((c) => c.id);
      for (const f of await files(slurm)) {
        const owners = owner(f);
        assert.ok(owners.length <= 1, `${f} is written by ${owners.join(" and ")}`);
        if (owners.length === 0) {
          assert.match(
            f,
            /^(manifest\.json|plan\.json|report\.html|figures\/.*|\.actpat\.lock|logs\/finish\.\d+\.log|slurm\/finish\.(sbatch|job\.json))$/,
          );
        }
      }
    } finally {
      await cluster.stop();
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
