/**
 * `deno task reproduce --plan` describes the paper grid without running anything: its model here is a folder
 * holding Llama-2-7B's config.json beside weights that cannot be loaded, the cache is empty and stays so, and
 * the printed plan is the one the run would execute (the schema every executor reads).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ReproducePlan } from "../src/experiments/reproduce/mod.ts";
import { runTask } from "./fixtures/run_task.ts";

const PAPER_LLAMA2 = fileURLToPath(new URL("../paper/configs/llama2-7b.json", import.meta.url));

/** meta-llama/Llama-2-7b-hf's config.json. */
const LLAMA2_7B_CONFIG = {
  architectures: ["LlamaForCausalLM"],
  model_type: "llama",
  hidden_size: 4096,
  intermediate_size: 11008,
  num_attention_heads: 32,
  num_hidden_layers: 32,
  num_key_value_heads: 32,
  max_position_embeddings: 4096,
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  vocab_size: 32000,
  tie_word_embeddings: false,
  torch_dtype: "float16",
};

Deno.test({
  name: "reproduce --plan of the Llama-2-7B config loads no model, fetches nothing and resolves the grid",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "actpat_plan_" });
    try {
      const model = join(tmp, "Llama-2-7b-hf");
      await Deno.mkdir(model);
      await Deno.writeTextFile(join(model, "config.json"), JSON.stringify(LLAMA2_7B_CONFIG));
      // Weights that no loader accepts: a plan that opened them would fail.
      await Deno.writeTextFile(join(model, "model.safetensors"), "not a safetensors file");
      const config = { ...JSON.parse(await Deno.readTextFile(PAPER_LLAMA2)), model };
      const cfg = join(tmp, "config.json");
      await Deno.writeTextFile(cfg, JSON.stringify(config));
      const cache = join(tmp, "cache");
      await Deno.mkdir(cache);
      const env = { ACTPAT_CACHE: cache, ACTPAT_MIRROR: "", HF_ENDPOINT: "http://127.0.0.1:9" };

      const json = await runTask("reproduce.ts", ["--plan", "--json", "--config", cfg], env);
      assert.equal(json.code, 0, json.stderr);
      const plan = ReproducePlan.parse(JSON.parse(json.stdout));
      assert.equal(plan.model.numLayers, 32);
      assert.deepEqual(await Array.fromAsync(Deno.readDir(cache)), [], "the cache stays empty");
      // llama_sts.py's six ranges: range(12|16|20, L-2) and range(12|16|20, L) on 32 layers.
      const sts = plan.stages.find((s) => s.name === "sts")!.settings.ranges;
      assert.deepEqual(sts, [
        { spec: "12-29", layers: "12-29" },
        { spec: "12-31", layers: "12-31" },
        { spec: "16-29", layers: "16-29" },
        { spec: "16-31", layers: "16-31" },
        { spec: "20-29", layers: "20-29" },
        { spec: "20-31", layers: "20-31" },
      ]);
      const uniform = plan.cells.find((c) => c.id === "table1.wanda")!.settings.layerSparsity;
      assert.deepEqual(uniform, new Array(32).fill(0.5));
      assert.equal(plan.cells.filter((c) => c.stage === "transfer").length, 8);

      const text = await runTask("reproduce.ts", ["--plan", "--config", cfg], env);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /model: .*Llama-2-7b-hf \(32 layers\)/);
      assert.match(
        text.stdout,
        /cell table1 \[assembly\] → 04-table1; after table1\.dense, .*table1\.wanda-owl; hash [0-9a-f]{16}/,
      );
      for (const c of plan.cells) assert.ok(text.stdout.includes(`cell ${c.id} [${c.role}]`), c.id);

      // The same config, run, cannot load that model: the plan above never tried.
      const run = await runTask(
        "reproduce.ts",
        ["--config", cfg, "--out", join(tmp, "run"), "--no-pdf"],
        env,
      );
      assert.equal(run.code, 2, run.stdout);
      assert.match(run.stderr, /Cannot .*model/);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test("reproduce flags of the executors: bad input exits 2 with the flag named", async () => {
  const cases: [string[], RegExp][] = [
    [["--executor", "pbs"], /Cannot parse --executor: "pbs" is not one of local, slurm/],
    [["--devices", "gpu0"], /Cannot parse --devices: "gpu0" is neither a GPU index/],
    [["--devices", "cpu:0,cpu:0"], /Cannot parse --devices: "cpu:0" is listed twice/],
    [["--executor", "slurm", "--devices", "0"], /Cannot parse --devices: it goes with --executor local/],
    [["--partition", "gpu"], /Cannot parse --partition: it goes with --executor slurm/],
    [["--executor", "slurm"], /--executor slurm needs --out/],
    [["--status"], /--status needs --out/],
    [["--threads", "2"], /Cannot parse --threads: it goes with --cell/],
    [["--json"], /Cannot parse --json: it goes with --plan or --status/],
  ];
  for (const [args, message] of cases) {
    const out = await runTask("reproduce.ts", args);
    assert.equal(out.code, 2, `${args.join(" ")}: ${out.stderr}`);
    assert.match(out.stderr, message, args.join(" "));
  }
  const tmp = await Deno.makeTempDir();
  try {
    const status = await runTask("reproduce.ts", ["--status", "--out", tmp]);
    assert.equal(status.code, 2);
    assert.match(status.stderr, /holds no plan\.json: start the run with deno task reproduce --out/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("reproduce --executor slurm --dry-run prints one sbatch script per cell with its edges, writes nothing", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "actpat_dry_" });
  try {
    const out = join(tmp, "run");
    const args = ["--executor", "slurm", "--dry-run", "--out", out, "--partition", "p1", "--account", "lab"];
    const cpu = await runTask("reproduce.ts", [...args, "--time", "1:00:00", "--cpus-per-task", "2"]);
    assert.equal(cpu.code, 0, cpu.stderr);
    const scripts = cpu.stdout.split(/^# ---- /m).slice(1);
    assert.equal(scripts.length, 16, "15 cells and the job that finishes the run");
    const table1 = scripts.find((s) => s.startsWith("table1\n"))!;
    assert.match(
      table1,
      /#SBATCH --dependency=afterok:<job of table1\.dense>:<job of table1\.magnitude>:<job of table1\.wanda>:<job of table1\.wanda-activation>:<job of table1\.wanda-owl>\n/,
    );
    for (
      const line of [
        "--partition=p1",
        "--account=lab",
        "--time=1:00:00",
        "--cpus-per-task=2",
        "--kill-on-invalid-dep=yes",
      ]
    ) {
      assert.ok(table1.includes(`#SBATCH ${line}\n`), line);
    }
    assert.ok(!table1.includes("--gres"), "no GPU for the cpu provider");
    assert.match(
      table1,
      new RegExp(
        `exec \\S+ run --no-prompt .* \\S+/tasks/reproduce\\.ts --cell table1 --out ${out} --threads 2\\n`,
      ),
    );
    const finish = scripts.find((s) => s.startsWith("finish\n"))!;
    assert.match(finish, /--dependency=afterok:<job of density>:.*<job of massive>\n/);
    assert.match(finish, /reproduce\.ts --config \S+default\.json --out \S+\n/);
    await assert.rejects(Deno.stat(out), Deno.errors.NotFound, "a dry run writes nothing");

    const gpu = await runTask("reproduce.ts", [...args, "--config", PAPER_LLAMA2, "--only", "sts"]);
    assert.equal(gpu.code, 0, gpu.stderr);
    assert.match(gpu.stdout, /^#SBATCH --gres=gpu:1$/m, "webgpu: one GPU per job");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
