/**
 * The Deno permissions of each task, computed from its command line: what `deno task <name>` grants through
 * `tasks/_launch.ts` instead of `-A`. Deno cannot say "write wherever --out points" in deno.json, so the
 * launcher reads the flags that name output paths and grants write access to exactly those:
 *  - read: everywhere (models, datasets, mirrors and configs are wherever the user keeps them);
 *  - write: the cache (`ACTPAT_CACHE`, else `~/.cache/actpat`), and only the paths the task writes: its run
 *    directory (`--out`, else `results/runs`), `compare --out`, `figures RUN_DIR`, the folder that receives
 *    `make-checkpoint --out` (written beside it, then renamed),
 *    the temporary folder for Chromium's profile (`figures`, `reproduce`), bench's outputs;
 *  - net: the Hugging Face hub (`HF_ENDPOINT`'s host, huggingface.co, *.hf.co, *.huggingface.co) and the
 *    dataset publishers ({@link DATASET_HOSTS}) for the tasks that load models or data; the npm registry
 *    (`NPM_CONFIG_REGISTRY`'s host) for `--ep cuda`; 127.0.0.1 for puppeteer's connection to Chromium;
 *  - ffi: onnxruntime-node's binding in node_modules, for every task (`--ep cuda`: any library, as the CUDA libraries are
 *    found by soname through the system's search path);
 *  - run: Chromium for the report (`PUPPETEER_EXECUTABLE_PATH`, the system's usual paths, or the one bundled
 *    in npm `@sparticuz/chromium`: Deno itself to unpack it, then its binary in the cache), nvidia-smi for
 *    `--ep cuda` and bench; for `reproduce`, Deno (its `--devices` workers) and sbatch, squeue, sacct,
 *    scontrol (`--executor slurm`, `--status`);
 *  - env and sys: all (onnxruntime, puppeteer and the manifest read many variables and system facts).
 * A task that reaches further fails with `Cannot write <path>: Deno's permissions for this task do not allow
 * it (...)`, exit 2.
 */
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BUNDLED_CHROMIUM_PACKAGE } from "../src/report/bundled_chromium.ts";
import { SYSTEM_CHROMIUMS } from "../src/report/pdf.ts";

/** The repository root (holds deno.json, node_modules, paper/). */
export const REPO_ROOT: string = fileURLToPath(new URL("..", import.meta.url));

/**
 * Hosts the dataset registry (src/data/registry.ts) downloads from, and the hosts they redirect to
 * (GitHub release and raw files). test/task_permissions_test.ts checks that every registry URL is covered.
 */
export const DATASET_HOSTS: readonly string[] = [
  "github.com",
  "*.github.com",
  "*.githubusercontent.com",
  "storage.googleapis.com",
  "allenai.org",
  "*.allenai.org",
  "ixa2.si.ehu.eus",
  "marcobaroni.org",
  "rowanzellers.com",
  "yonatanbisk.com",
];

/** The Slurm commands `reproduce` runs (src/experiments/reproduce/slurm.ts). */
const SLURM_COMMANDS = ["sbatch", "squeue", "sacct", "scontrol"] as const;

/** What a task touches besides reading. */
interface Profile {
  /** Runs a model: onnxruntime (ffi), the hub (net), the cache. */
  model: boolean;
  /** Loads datasets: their publishers (net), the cache. */
  data: boolean;
  /** Where it writes besides the cache. */
  writes: (flags: Flags, env: Env) => string[];
  /** Prints report.pdf with Chromium. */
  browser: boolean;
  /** Runs with `--v8-flags=--expose-gc` (src/util/collect_garbage.ts). */
  gc: boolean;
}

type Flags = Map<string, string | true>;
type Env = (name: string) => string | undefined;

/** A run directory: `--out`, else a new folder under results/runs. */
const runDir = (f: Flags) => [str(f, "out") ?? "results/runs"];
const outFlag = (f: Flags) => (str(f, "out") ? [str(f, "out")!] : []);

const PROFILES: Record<string, Profile> = {
  info: { model: true, data: false, writes: () => [], browser: false, gc: false },
  generate: { model: true, data: false, writes: () => [], browser: false, gc: false },
  // The checkpoint is written as `<out>.<pid>.partial` beside --out, then renamed: its parent folder.
  "make-checkpoint": {
    model: false,
    data: false,
    writes: (f) => (str(f, "out") ? [dirname(resolve(str(f, "out")!))] : []),
    browser: false,
    gc: false,
  },
  data: {
    model: false,
    data: true,
    writes: (f) => (str(f, "cache") ? [str(f, "cache")!] : []),
    browser: false,
    gc: false,
  },
  figures: { model: false, data: false, writes: (f) => positionals(f), browser: true, gc: false },
  compare: { model: false, data: false, writes: outFlag, browser: false, gc: false },
  density: {
    model: true,
    data: true,
    writes: (f) => (f.has("from") ? [str(f, "out") ?? "results/runs"] : runDir(f)),
    browser: false,
    gc: true,
  },
  similarity: { model: true, data: true, writes: runDir, browser: false, gc: false },
  relevance: { model: true, data: true, writes: runDir, browser: false, gc: false },
  // --save: the pruned checkpoint's folder, written in place (pruned_checkpoint.ts checks what it holds).
  prune: {
    model: true,
    data: true,
    writes: (f) => [...runDir(f), ...(str(f, "save") ? [str(f, "save")!] : [])],
    browser: false,
    gc: true,
  },
  eval: { model: true, data: true, writes: runDir, browser: false, gc: false },
  table1: { model: true, data: true, writes: runDir, browser: false, gc: true },
  transfer: { model: true, data: true, writes: runDir, browser: false, gc: true },
  sts: { model: true, data: true, writes: runDir, browser: false, gc: false },
  massive: { model: true, data: true, writes: runDir, browser: false, gc: false },
  reproduce: { model: true, data: true, writes: runDir, browser: true, gc: true },
  bench: {
    model: true,
    data: true,
    // The CSV and the density JSON are written atomically (a temporary file beside each, then renamed): their
    // folders.
    writes: (f) => {
      const out = str(f, "out") ?? "bench.csv";
      return [
        dirname(resolve(out)),
        dirname(resolve(str(f, "density-json") ?? out.replace(/\.csv$/, "") + "_density.json")),
        str(f, "checkpoints") ?? "/tmp/actpat-bench",
      ];
    },
    browser: false,
    gc: true,
  },
};

/** The tasks `deno task` starts through the launcher. */
export const TASKS: readonly string[] = Object.keys(PROFILES);

/** `--name value`, `--name=value` and bare `--name` flags, and positionals under the key `""` (joined by NUL). */
function parseFlags(args: readonly string[]): Flags {
  const flags: Flags = new Map();
  const pos: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") {
      pos.push(...args.slice(i + 1));
      break;
    }
    const m = a.match(/^--([^=]+)(?:=(.*))?$/s);
    if (!m) {
      pos.push(a);
      continue;
    }
    if (m[2] !== undefined) flags.set(m[1], m[2]);
    else if (i + 1 < args.length && !args[i + 1].startsWith("--")) flags.set(m[1], args[++i]);
    else flags.set(m[1], true);
  }
  if (pos.length) flags.set("", pos.join("\0"));
  return flags;
}

function str(flags: Flags, name: string): string | undefined {
  const v = flags.get(name);
  return typeof v === "string" && v !== "" ? v : undefined;
}

function positionals(flags: Flags): string[] {
  return str(flags, "")?.split("\0") ?? [];
}

/** The host of `url` (`host:port` when it has a port), or undefined for no URL. */
function hostOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).host || undefined;
  } catch {
    return undefined;
  }
}

/** The execution provider the command will use: `--ep`, else reproduce's config `ep`, else cpu. */
function executionProvider(task: string, flags: Flags, cwd: string): string {
  const ep = str(flags, "ep");
  if (ep) return ep.toLowerCase();
  if (task === "reproduce") {
    const config = str(flags, "config") ?? join(REPO_ROOT, "paper/configs/default.json");
    try {
      const parsed = JSON.parse(Deno.readTextFileSync(resolve(cwd, config)));
      if (typeof parsed?.ep === "string") return parsed.ep.toLowerCase();
    } catch {
      // The task itself reports an unreadable config.
    }
  }
  return "cpu";
}

/** Options of {@link taskPermissions}. */
export interface PermissionContext {
  /** Environment of the task (default Deno.env). */
  env?: Env;
  /** Working directory relative paths are resolved against (default Deno.cwd()). */
  cwd?: string;
  /** The Deno binary that unpacks the bundled Chromium (default this process's). */
  denoPath?: string;
}

/**
 * The `deno run` flags (permissions, then V8 flags) of `task` run with `args`; paths are absolute.
 * @example taskPermissions("compare", ["a", "b", "--out", "cmp"], { cwd: "/w" })
 * // → ["--allow-read", "--allow-env", "--allow-sys", "--allow-write=/w/cmp", ...]
 */
export function taskPermissions(
  task: string,
  args: readonly string[],
  ctx: PermissionContext = {},
): string[] {
  const profile = PROFILES[task];
  if (!profile) throw new Error(`no permission profile for task "${task}"`);
  const env: Env = ctx.env ?? ((name) => Deno.env.get(name));
  const cwd = ctx.cwd ?? Deno.cwd();
  const flags = parseFlags(args);
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(cwd, p));
  const home = env("HOME") ?? env("USERPROFILE");
  const cache = env("ACTPAT_CACHE") || (home ? join(home, ".cache", "actpat") : undefined);
  const ep = executionProvider(task, flags, cwd);
  const cuda = profile.model && ep === "cuda";

  const write = new Set<string>();
  // The report's Chromium may be the bundled one, unpacked into the cache on first use.
  if ((profile.model || profile.data || profile.browser) && cache) write.add(abs(cache));
  for (const p of profile.writes(flags, env)) write.add(abs(p));
  if (profile.browser) write.add(abs(env("TMPDIR") || "/tmp"));

  const net = new Set<string>();
  if (profile.model || profile.data) {
    net.add(hostOf(env("HF_ENDPOINT")) ?? "huggingface.co");
    for (const h of ["huggingface.co", "*.huggingface.co", "hf.co", "*.hf.co"]) net.add(h);
  }
  if (profile.data) { for (const h of DATASET_HOSTS) net.add(h); }
  if (cuda) {
    net.add(hostOf(env("NPM_CONFIG_REGISTRY") ?? env("npm_config_registry")) ?? "registry.npmjs.org");
  }
  if (profile.browser) { for (const h of ["127.0.0.1", "localhost", "[::1]"]) net.add(h); }

  const run = new Set<string>();
  if (profile.browser) {
    const given = env("PUPPETEER_EXECUTABLE_PATH");
    if (given) run.add(given);
    for (const p of SYSTEM_CHROMIUMS) run.add(p);
    // The bundled Chromium: unpacked by a child Deno (this same binary), then run from the cache.
    run.add(ctx.denoPath ?? Deno.execPath());
    if (cache) run.add(abs(join(cache, "chromium", BUNDLED_CHROMIUM_PACKAGE.split("@").pop()!, "chromium")));
  }
  if (cuda || task === "bench") run.add("nvidia-smi");
  // The Slurm executor submits jobs and reads their states (`--executor slurm`, `--status`).
  if (task === "reproduce" && (str(flags, "executor") === "slurm" || flags.has("status"))) {
    for (const c of SLURM_COMMANDS) run.add(c);
  }
  // Local workers are Deno processes (`--devices`).
  if (task === "reproduce" && flags.has("devices")) run.add(ctx.denoPath ?? Deno.execPath());
  if (task === "bench") run.add("df");

  const out = ["--allow-read", "--allow-env", "--allow-sys"];
  if (write.size) out.push(`--allow-write=${[...write].join(",")}`);
  if (net.size) out.push(`--allow-net=${[...net].join(",")}`);
  // Every task's module graph loads onnxruntime-node's binding (manifests record its version).
  out.push(cuda ? "--allow-ffi" : `--allow-ffi=${join(REPO_ROOT, "node_modules")}`);
  if (run.size) out.push(`--allow-run=${[...run].join(",")}`);
  if (profile.gc) out.push("--v8-flags=--expose-gc");
  return out;
}

/** The file of `task` under tasks/ (`make-checkpoint` → `tasks/make_checkpoint.ts`). */
export function taskFile(task: string): string {
  return join(REPO_ROOT, "tasks", `${task.replaceAll("-", "_")}.ts`);
}

/** The project's deno.json (imports, node_modules), which the child Deno is pointed at. */
export const CONFIG_FILE: string = join(REPO_ROOT, "deno.json");
