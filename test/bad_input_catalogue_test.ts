/**
 * The catalogue of bad inputs (issue 16): each case runs a real task as a child process, the way a user
 * would, and checks that it fails with the documented exit code (2: bad input or error), one
 * `error: Cannot <action>: <detail>` line naming the flag, file or tensor at fault, no stack trace, and that
 * nothing of the user's was changed: every file the user had in the working directory (and in the folders
 * given as input) is still there with the same bytes. The cases share one cache and run a few at a time;
 * each fails fast, before any model pass.
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { MIRROR, STORIES_HF } from "./fixtures/mirror.ts";
import { readSafetensorsHeader } from "../src/model/safetensors.ts";
import { createRunDir } from "../src/results/run_dir.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BASELINE = join(ROOT, "results/baseline-stories260K/01-density");
const LINUX = Deno.build.os === "linux";
/** How many tasks run at once: the machine this runs on may have two cores. */
const PARALLEL = 3;

/** Paths a case can use: its own working directory and the shared fixtures. */
interface Ctx {
  /** The case's working directory (the user's folder): holds `notes.txt` and `results/mine.csv`. */
  ws: string;
  /** Shared fixtures: damaged models, a folder another run holds. */
  fx: string;
}

interface Case {
  name: string;
  /** File in tasks/ without `.ts`. */
  task: string;
  args: (c: Ctx) => string[];
  /** The text after `error: ` starts with this. */
  error: (c: Ctx) => string;
  /** Default 2. */
  code?: number;
  env?: (c: Ctx) => Record<string, string>;
  /** Puts the user's files for this case into `c.ws` before the run. */
  setup?: (c: Ctx) => Promise<void>;
  /** Something else stderr must say (a warning). */
  stderr?: RegExp;
  linuxOnly?: boolean;
}

const M = STORIES_HF;
const DENSITY = ["--datasets", "boolq", "--gamma", "2e-6", "--samples", "1"];

/** Writes `text` to `path`, making its folder. */
async function put(path: string, text: string): Promise<void> {
  await Deno.mkdir(join(path, ".."), { recursive: true });
  await Deno.writeTextFile(path, text);
}

const CASES: Case[] = [
  // Flags: misspelled, missing, malformed.
  {
    name: "misspelled flag: did you mean",
    task: "density",
    args: () => ["--model", M, ...DENSITY, "--sampels", "3"],
    error: () => "Cannot run density: Unknown option '--sampels'; did you mean --samples?",
  },
  {
    name: "misspelled --model of eval",
    task: "eval",
    args: () => ["--modle", M],
    error: () => "Cannot run eval: Unknown option '--modle'; did you mean --model?",
  },
  {
    name: "misspelled --sparsity of prune",
    task: "prune",
    args: () => ["--model", M, "--sparsty", "0.5"],
    error: () => "Cannot run prune: Unknown option '--sparsty'; did you mean --sparsity?",
  },
  {
    name: "misspelled --pairs of similarity",
    task: "similarity",
    args: () => ["--model", M, "--pair", "boolq:mmlu"],
    error: () => "Cannot run similarity: Unknown option '--pair'; did you mean --pairs?",
  },
  {
    name: "misspelled --config of reproduce",
    task: "reproduce",
    args: () => ["--confg", "x.json"],
    error: () => "Cannot run reproduce: Unknown option '--confg'; did you mean --config?",
  },
  {
    name: "misspelled --force of a run-writing task",
    task: "density",
    args: () => ["--model", M, ...DENSITY, "--forse"],
    error: () => "Cannot run density: Unknown option '--forse'; did you mean --force?",
  },
  {
    name: "unknown flag with no near one",
    task: "massive",
    args: () => ["--model", M, "--frobnicate"],
    error: () => "Cannot run massive: Unknown option '--frobnicate'",
  },
  {
    name: "missing required flag",
    task: "density",
    args: () => ["--model", M, "--datasets", "boolq"],
    error: () => "Cannot run density: --gamma is required",
  },
  {
    name: "bad gamma",
    task: "density",
    args: () => ["--model", M, "--datasets", "boolq", "--gamma", "q2"],
    error: () => 'Cannot parse --gamma: "q2"',
  },
  {
    name: "zero samples",
    task: "density",
    args: () => ["--model", M, "--datasets", "boolq", "--gamma", "1", "--samples", "0"],
    error: () => 'Cannot parse --samples: "0" is not > 0',
  },
  {
    name: "unknown dtype",
    task: "density",
    args: () => ["--model", M, ...DENSITY, "--dtype", "int8"],
    error: () => 'Cannot parse --dtype: "int8" is not one of float32, float16, bfloat16, float64',
  },
  {
    name: "unknown execution provider",
    task: "density",
    args: () => ["--model", M, ...DENSITY, "--ep", "tpu"],
    error: () => 'Cannot parse --ep: "tpu" is not one of cpu, webgpu, cuda',
  },
  {
    name: "threads not a number",
    task: "density",
    args: () => ["--model", M, ...DENSITY, "--threads", "x"],
    error: () => 'Cannot parse --threads: "x" is not a positive integer',
  },
  {
    name: "split without a dataset",
    task: "density",
    args: () => ["--model", M, ...DENSITY, "--split", "boolq"],
    error: () => 'Cannot parse --split: "boolq" is not of the form dataset=split',
  },
  {
    name: "--from with --model",
    task: "density",
    args: () => ["--from", "/nonexistent", "--gamma", "1", "--model", M],
    error: () => "Cannot run density: --from recomputes a finished run; it takes no --model",
  },
  {
    name: "pairs without a colon",
    task: "similarity",
    args: () => ["--model", M, "--pairs", "boolq"],
    error: () => 'Cannot parse --pairs: "boolq" is not of the form',
  },
  {
    name: "unknown pruning method",
    task: "prune",
    args: () => ["--model", M, "--method", "sparsegpt"],
    error: () => 'Cannot parse --method: "sparsegpt" is not one of wanda, magnitude',
  },
  {
    name: "sparsity above 1",
    task: "prune",
    args: () => ["--model", M, "--sparsity", "1.5"],
    error: () => 'Cannot parse --sparsity: "1.5" is not < 1',
  },
  {
    name: "sequence length 1",
    task: "massive",
    args: () => ["--model", M, "--seq-len", "1"],
    error: () => "Cannot parse --seq-len: 1 is not an integer ≥ 2",
  },
  {
    name: "unknown table1 variant",
    task: "table1",
    args: () => ["--model", M, "--variants", "nope"],
    error: () => 'Cannot parse --variants: "nope" is not one of',
  },
  {
    name: "unknown reproduce stage",
    task: "reproduce",
    args: () => ["--only", "nope"],
    error: () => 'Cannot parse --only: unknown stage "nope"',
  },
  {
    name: "compare with one run",
    task: "compare",
    args: () => ["onlyone"],
    error: () => "Cannot compare runs: expected RUN_A and RUN_B, got 1 arguments",
  },
  {
    name: "compare --max-lines negative",
    task: "compare",
    args: () => [BASELINE, BASELINE, "--max-lines=-1"],
    error: () => 'Cannot parse --max-lines: "-1" is not a non-negative integer',
  },
  {
    name: "generate with a word for a number",
    task: "generate",
    args: () => ["--model", M, "--prompt", "x", "--max-new-tokens", "zero"],
    error: () => 'Cannot parse --max-new-tokens: "zero" is not a positive integer',
  },
  {
    name: "generate without a prompt",
    task: "generate",
    args: () => ["--model", M, "--max-new-tokens", "2"],
    error: () => "Cannot run generate: --prompt is required",
  },
  {
    name: "info without a model",
    task: "info",
    args: () => [],
    error: () => "Cannot run info: --model is required",
  },
  {
    name: "figures without a run",
    task: "figures",
    args: () => [],
    error: () => "Cannot render figures: expected one RUN_DIR, got 0 arguments",
  },
  {
    name: "figures of a missing run",
    task: "figures",
    args: (c) => [join(c.ws, "nope")],
    error: (c) => `Cannot render figures: run directory ${join(c.ws, "nope")}`,
  },
  {
    name: "data with a misspelled flag",
    task: "data",
    args: () => ["--lst"],
    error: () => "Cannot run data: Unknown option '--lst'",
  },
  {
    name: "unknown checkpoint shape",
    task: "make_checkpoint",
    args: (c) => ["--shape", "nope", "--out", join(c.ws, "ckpt")],
    error: () => 'Cannot parse --shape: "nope" is not one of tiny',
  },
  {
    name: "unknown dataset",
    task: "density",
    args: () => ["--model", M, "--datasets", "nosuch", "--gamma", "1"],
    error: () => 'Cannot find dataset "nosuch"',
  },
  {
    name: "a dataset name that is a path",
    task: "density",
    args: () => ["--model", M, "--datasets", "../../etc", "--gamma", "1"],
    error: () => 'Cannot find dataset "../../etc"',
  },
  {
    name: "a split that is a path",
    task: "density",
    args: () => ["--model", M, ...DENSITY, "--split", "boolq=../../etc"],
    error: () => 'Cannot parse --split: "boolq=../../etc" is not of the form dataset=split',
  },
  {
    name: "unknown eval task",
    task: "eval",
    args: () => ["--model", M, "--tasks", "nope"],
    error: () => 'Cannot find dataset "nope"',
  },
  {
    name: "eval --split for a task not evaluated",
    task: "eval",
    args: () => ["--model", M, "--tasks", "wikitext2", "--split", "boolq=validation"],
    error: () => "Cannot parse --split: boolq is not among the tasks (wikitext2)",
  },
  {
    name: "bfloat16 compute on the CPU provider",
    task: "density",
    args: () => ["--model", M, "--datasets", "mmlu", "--gamma", "2e-6", "--dtype", "bfloat16"],
    error: () => "Cannot use --dtype bfloat16 with --ep cpu: onnxruntime's cpu provider has no bfloat16",
  },
  {
    name: "unknown sts benchmark",
    task: "sts",
    args: () => ["--model", M, "--benchmarks", "nope"],
    error: () => 'Cannot parse --benchmarks: "nope" is not one of stsb, sick',
  },

  // Models and tokenizers.
  {
    name: "--model a/../../../../etc does not leave the mirror",
    task: "density",
    args: () => ["--model", "a/../../../../etc", ...DENSITY],
    error: () => `Cannot resolve model a/../../../../etc: "a/../../../../etc" would leave ${MIRROR}/models`,
  },
  {
    name: "--tokenizer with .. does not leave the mirror",
    task: "generate",
    args: () => ["--model", M, "--tokenizer", "a/../../x", "--prompt", "x", "--max-new-tokens", "1"],
    error: () => `Cannot resolve model a/../../x: "a/../../x" would leave ${MIRROR}/models`,
  },
  {
    name: "missing local model",
    task: "generate",
    args: () => ["--model", "./no/such/model", "--prompt", "x", "--max-new-tokens", "1"],
    error: () => "Cannot resolve model ./no/such/model: no such file or directory",
  },
  {
    name: "model that is neither local, mirrored nor a hub id",
    task: "info",
    args: () => ["--model", "not-a-model"],
    error: () =>
      `Cannot resolve model not-a-model: not a local path, not in the mirror (${MIRROR}/models/not-a-model)`,
  },
  {
    name: "model that is a text file",
    task: "generate",
    args: (c) => ["--model", join(c.ws, "notes.txt"), "--prompt", "x", "--max-new-tokens", "1"],
    error: (c) => `Cannot load model: ${join(c.ws, "notes.txt")} is a file but not a llama2.c checkpoint`,
  },
  {
    name: "model folder without config.json",
    task: "info",
    args: (c) => ["--model", join(c.ws, "empty-model")],
    setup: (c) => Deno.mkdir(join(c.ws, "empty-model")),
    error: (c) => `Cannot load model: no config.json in ${join(c.ws, "empty-model")}`,
  },
  {
    name: "config.json that is not JSON",
    task: "generate",
    args: (c) => ["--model", join(c.fx, "bad-config"), "--prompt", "x", "--max-new-tokens", "1"],
    error: (c) => `Cannot load model: ${join(c.fx, "bad-config/config.json")} is not valid JSON`,
  },
  {
    name: "truncated safetensors",
    task: "generate",
    args: (c) => ["--model", join(c.fx, "truncated"), "--prompt", "x", "--max-new-tokens", "1"],
    error: (c) => `Cannot read safetensors file ${join(c.fx, "truncated/model.safetensors")}:`,
  },
  {
    name: "NaN weights: generate refuses at load, naming the tensor",
    task: "generate",
    args: (c) => ["--model", join(c.fx, "nan"), "--prompt", "x", "--max-new-tokens", "1"],
    error: () =>
      "Cannot load model: a tensor holds NaN or ±Inf values: model.layers.2.mlp.down_proj.weight " +
      "(layer 2, mlp.down_proj)",
  },
  {
    name: "NaN weights: density refuses at load, naming the tensor",
    task: "density",
    args: (c) => ["--model", join(c.fx, "nan"), ...DENSITY, "--out", join(c.ws, "out")],
    error: () =>
      "Cannot load model: a tensor holds NaN or ±Inf values: model.layers.2.mlp.down_proj.weight " +
      "(layer 2, mlp.down_proj)",
  },
  {
    name: "NaN weights with --allow-nonfinite: loaded with a warning",
    task: "density",
    args: (c) => ["--model", join(c.fx, "nan"), "--allow-nonfinite", "--datasets", "nosuch", "--gamma", "1"],
    error: () => 'Cannot find dataset "nosuch"',
    stderr:
      /^warning: loading non-finite weights \(--allow-nonfinite\): model\.layers\.2\.mlp\.down_proj\.weight/m,
  },

  // Output folders, caches and other files the tasks write.
  {
    name: "--out is a file",
    task: "density",
    args: (c) => ["--model", M, ...DENSITY, "--out", join(c.ws, "notes.txt")],
    error: (c) => `Cannot use ${join(c.ws, "notes.txt")} as the run directory: it is a file, not a folder`,
  },
  {
    name: "--out is a user's folder, not a run",
    task: "density",
    args: (c) => ["--model", M, ...DENSITY, "--out", join(c.ws, "analysis")],
    setup: (c) => put(join(c.ws, "analysis/density.csv"), "my,own\n1,2\n"),
    error: (c) =>
      `Cannot use ${join(c.ws, "analysis")} as the run directory: it holds files (density.csv) but no ` +
      "manifest.json: it is not an actpat run",
  },
  {
    name: "--out holds a run of another command",
    task: "density",
    args: (c) => ["--model", M, ...DENSITY, "--out", join(c.ws, "prune-run")],
    setup: async (c) => {
      const run = await createRunDir({ command: "prune", dir: join(c.ws, "prune-run") });
      await run.writeText("sparsity.csv", "layer,sparsity\n0,0.5\n", "sparsity");
      await run.finish("ok");
    },
    error: (c) =>
      `Cannot use ${join(c.ws, "prune-run")} as the run directory: it holds a "prune" run, not "density"`,
  },
  {
    name: "--out holds a run of another configuration",
    task: "density",
    args: (c) => ["--model", M, ...DENSITY, "--out", join(c.ws, "density-run")],
    setup: async (c) => {
      const run = await createRunDir({
        command: "density",
        config: { model: "other" },
        dir: join(c.ws, "density-run"),
      });
      await run.writeText("density.csv", "old results\n", "counts");
      await run.finish("ok");
    },
    error: (c) =>
      `Cannot use ${join(c.ws, "density-run")} as the run directory: it holds a "density" run of another ` +
      // The value is shortened past 40 characters (long checkout paths): its first 20 are in every form.
      `configuration (model: "other" → "${M.slice(0, 20)}`,
  },
  {
    name: "--out is held by a run in progress",
    task: "density",
    args: (c) => ["--model", M, ...DENSITY, "--out", join(c.fx, "held")],
    error: (c) => `Cannot use ${join(c.fx, "held")} as the run directory: another run is writing there (pid `,
  },
  {
    name: "--out holds a damaged manifest",
    task: "density",
    args: (c) => ["--model", M, ...DENSITY, "--out", join(c.ws, "damaged")],
    setup: (c) => put(join(c.ws, "damaged/manifest.json"), "{ not json"),
    error: (c) =>
      `Cannot use ${join(c.ws, "damaged")} as the run directory: its manifest.json is not an actpat manifest`,
  },
  {
    name: "--out not writable",
    task: "density",
    args: () => ["--model", M, ...DENSITY, "--out", "/sys/actpat_out"],
    error: () => "Cannot create the folder /sys/actpat_out: operation not permitted",
    linuxOnly: true,
  },
  {
    name: "read-only cache",
    task: "generate",
    args: () => ["--model", M, "--prompt", "x", "--max-new-tokens", "1"],
    env: () => ({ ACTPAT_CACHE: "/sys/actpat_cache" }),
    error: () => "Cannot create the folder /sys/actpat_cache/graphs: operation not permitted",
    linuxOnly: true,
  },
  {
    name: "compare cannot write compare.csv",
    task: "compare",
    args: () => [BASELINE, BASELINE, "--out", "/sys/actpat_cmp"],
    error: () => "Cannot create the folder /sys/actpat_cmp: operation not permitted",
    linuxOnly: true,
  },
  {
    name: "compare of missing runs",
    task: "compare",
    args: (c) => [join(c.ws, "a"), join(c.ws, "b")],
    error: (c) => `Cannot compare runs: RUN_A ${join(c.ws, "a")} does not exist`,
  },
  {
    name: "compare with missing tolerances",
    task: "compare",
    args: (c) => [BASELINE, BASELINE, "--tolerances", join(c.ws, "tol.json"), "--out", join(c.ws, "cmp")],
    error: (c) => `Cannot read tolerances: ${join(c.ws, "tol.json")}`,
  },
  {
    name: "density --from a missing run",
    task: "density",
    args: (c) => ["--from", join(c.ws, "nope"), "--gamma", "1", "--out", join(c.ws, "o")],
    error: (c) => `Cannot read ${join(c.ws, "nope/manifest.json")}:`,
  },
  {
    name: "density --from a run of another experiment",
    task: "density",
    args: (
      c,
    ) => [
      "--from",
      join(ROOT, "results/baseline-stories260K/02-similarity"),
      "--gamma",
      "1",
      "--out",
      join(c.ws, "o"),
    ],
    error: () =>
      `Cannot recompute density from ${
        join(ROOT, "results/baseline-stories260K/02-similarity")
      }: it holds a "similarity" run (ok), not a density run`,
  },
  {
    name: "density --from an interrupted run: how to resume it",
    task: "density",
    args: (c) => ["--from", join(c.ws, "stopped"), "--gamma", "1", "--out", join(c.ws, "o")],
    setup: async (c) => {
      const manifest = JSON.parse(await Deno.readTextFile(join(BASELINE, "manifest.json")));
      await put(
        join(c.ws, "stopped/manifest.json"),
        JSON.stringify({ ...manifest, status: "interrupted", argv: ["--model", M, "--datasets", "boolq"] }),
      );
    },
    error: (c) =>
      `Cannot recompute density from ${join(c.ws, "stopped")}: its density run is interrupted, not ` +
      "finished; resume it first with",
    stderr: /^ {2}deno task density --model \S+ --datasets boolq --out \S+stopped$/m,
  },
  {
    name: "density --from a run whose kept sums are truncated",
    task: "density",
    args: (c) => ["--from", join(c.ws, "cut"), "--gamma", "q0.5", "--out", join(c.ws, "o")],
    setup: async (c) => {
      for (const f of ["manifest.json", "density_histogram.csv"]) {
        await put(join(c.ws, "cut", f), await Deno.readTextFile(join(BASELINE, f)));
      }
      const file = "density_sums/boolq.layers0-4.f32";
      const tensors = [{ name: "model.layers.0.self_attn.q_proj.weight", layer: 0, module: "q_proj" }];
      const index = {
        byteOrder: "little-endian",
        files: [{
          dataset: "boolq",
          samples: 2,
          file,
          dtype: "float32",
          tensors: tensors.map((t) => ({ ...t, shape: [64, 64], offset: 0 })),
        }],
      };
      await put(join(c.ws, "cut/density_sums.json"), JSON.stringify(index));
      await put(join(c.ws, "cut", file), "x".repeat(100));
    },
    error: (c) =>
      `Cannot read ${join(c.ws, "cut/density_sums/boolq.layers0-4.f32")}: it holds 100 bytes, but ` +
      "density_sums.json gives 16384",
  },
  {
    name: "reproduce with a missing config",
    task: "reproduce",
    args: (c) => ["--config", join(c.ws, "none.json")],
    error: (c) => `Cannot read config ${join(c.ws, "none.json")}`,
  },
  {
    name: "reproduce with a config that is not JSON",
    task: "reproduce",
    args: (c) => ["--config", join(c.ws, "bad.json")],
    setup: (c) => put(join(c.ws, "bad.json"), "{ bad"),
    error: (c) => `Cannot read config ${join(c.ws, "bad.json")}`,
  },
  {
    name: "reproduce with a config that computes in bfloat16 on the CPU",
    task: "reproduce",
    args: (c) => ["--config", join(c.ws, "bf16.json")],
    setup: async (c) => {
      const config = JSON.parse(await Deno.readTextFile(join(ROOT, "paper/configs/default.json")));
      await put(join(c.ws, "bf16.json"), JSON.stringify({ ...config, dtype: "bfloat16" }));
    },
    error: (c) =>
      `Cannot read config ${join(c.ws, "bf16.json")}: dtype: onnxruntime's cpu provider has no bfloat16`,
  },
];

/** Every file under `dir` with its bytes. */
async function snapshot(dir: string): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      const p = join(d, e.name);
      if (e.isDirectory) await walk(p);
      else if (e.isFile) out.set(relative(dir, p), await Deno.readFile(p));
    }
  };
  await walk(dir);
  return out;
}

/** The files of `before` that are missing or changed in `after`. */
function damaged(before: Map<string, Uint8Array>, after: Map<string, Uint8Array>): string[] {
  return [...before].filter(([p, bytes]) => {
    const now = after.get(p);
    return !now || now.length !== bytes.length || now.some((b, i) => b !== bytes[i]);
  }).map(([p]) => p);
}

/** A copy of stories260K-hf in `dir`, then `edit`ed. */
async function modelCopy(dir: string, edit: (path: string) => Promise<void>): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  for await (const e of Deno.readDir(STORIES_HF)) {
    await Deno.copyFile(join(STORIES_HF, e.name), join(dir, e.name));
  }
  await edit(dir);
}

/** The shared fixtures: damaged models, and a folder a run in another process holds. */
async function fixtures(fx: string) {
  await modelCopy(join(fx, "nan"), async (dir) => {
    const path = join(dir, "model.safetensors");
    const t = (await readSafetensorsHeader(path)).tensors.find((x) =>
      x.name === "model.layers.2.mlp.down_proj.weight"
    )!;
    const bytes = await Deno.readFile(path);
    if (t.source.kind === "file") new DataView(bytes.buffer).setFloat32(t.source.offset + 400, NaN, true);
    await Deno.writeFile(path, bytes);
  });
  await modelCopy(join(fx, "bad-config"), (dir) => Deno.writeTextFile(join(dir, "config.json"), "{"));
  await modelCopy(join(fx, "truncated"), (dir) => Deno.truncate(join(dir, "model.safetensors"), 100_000));
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", join(ROOT, "test/fixtures/run_dir_child.ts"), join(fx, "held")],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  let seen = "";
  while (!seen.includes("ready")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the run holding the folder ended early");
    seen += new TextDecoder().decode(value);
  }
  return {
    async [Symbol.asyncDispose]() {
      child.kill("SIGTERM");
      await Promise.all([child.status, reader.cancel()]);
    },
  };
}

interface Outcome {
  code: number;
  stderr: string;
  damaged: string[];
}

async function runCase(c: Case, root: string, fx: string, cache: string, i: number): Promise<Outcome> {
  const ws = join(root, `case-${i}`);
  const ctx = { ws, fx };
  await put(join(ws, "notes.txt"), "the user's own notes\n");
  await put(join(ws, "results/mine.csv"), "a,b\n1,2\n");
  await c.setup?.(ctx);
  const before = await snapshot(ws);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", join(ROOT, "tasks", `${c.task}.ts`), ...c.args(ctx)],
    cwd: ws,
    env: { ACTPAT_MIRROR: MIRROR ?? "", ACTPAT_CACHE: cache, ...c.env?.(ctx) },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stderr: new TextDecoder().decode(out.stderr),
    damaged: damaged(before, await snapshot(ws)),
  };
}

Deno.test({
  name:
    "bad input catalogue: each fails with exit 2, one 'error: Cannot …' line, no stack trace, nothing of the user's changed",
  async fn(t) {
    const root = await Deno.makeTempDir({ prefix: "actpat_catalogue_" });
    try {
      const fx = join(root, "fixtures");
      const cache = join(root, "cache");
      const cases = CASES.filter((c) => !c.linuxOnly || LINUX);
      assert.ok(cases.length >= 40, `${cases.length} cases`);
      const outcomes: Outcome[] = new Array(cases.length);
      {
        await using _held = await fixtures(fx);
        const inputs = await snapshot(fx);
        const baseline = await snapshot(join(ROOT, "results/baseline-stories260K"));
        let next = 0;
        const worker = async () => {
          for (let i = next++; i < cases.length; i = next++) {
            outcomes[i] = await runCase(cases[i], root, fx, cache, i);
          }
        };
        await Promise.all(Array.from({ length: PARALLEL }, worker));
        const inputDamage = damaged(inputs, await snapshot(fx)).filter((p) => !p.startsWith("held/"));
        assert.deepEqual(inputDamage, [], "the models and runs given as input are unchanged");
        assert.deepEqual(damaged(baseline, await snapshot(join(ROOT, "results/baseline-stories260K"))), []);
      }
      for (const [i, c] of cases.entries()) {
        await t.step(c.name, () => {
          const o = outcomes[i];
          const ctx = { ws: join(root, `case-${i}`), fx };
          const where = `${c.task} ${c.args(ctx).join(" ")}\n${o.stderr}`;
          assert.equal(o.code, c.code ?? 2, where);
          const line = o.stderr.split("\n").find((l) => l.startsWith("error: "));
          assert.ok(line, `no error line: ${where}`);
          const expected = c.error(ctx);
          assert.ok(
            line.slice("error: ".length).startsWith(expected),
            `expected "${expected}…", got ${line}`,
          );
          assert.doesNotMatch(o.stderr, /^\s+at /m, `stack trace: ${where}`);
          assert.doesNotMatch(o.stderr, /Stack backtrace/, `panic: ${where}`);
          if (c.stderr) assert.match(o.stderr, c.stderr, where);
          assert.deepEqual(o.damaged, [], `the user's files changed: ${where}`);
        });
      }
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
