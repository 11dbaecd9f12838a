/**
 * What the report's title page says about where a run came from, read from manifest.json (design §4: command,
 * model id + revision + sha256 of weight files, dataset checksums, execution provider, versions, dates).
 * Read leniently: the title page shows what the manifest records and says plainly what it does not.
 */

/** A file with its checksum. */
export interface FileSum {
  path: string;
  sha256?: string;
}

export interface DatasetInfo {
  name: string;
  files: FileSum[];
  /** Set when the manifest marks the dataset unavailable (missing from the mirror, not downloadable). */
  missing?: string;
}

export interface Provenance {
  model?: string;
  revision?: string;
  weights: FileSum[];
  datasets: DatasetInfo[];
  executionProvider?: string;
  versions: Record<string, string>;
  dates: Record<string, string>;
  command?: string;
  seed?: string;
  /** `ok`, `running`, or `failed: <error>`. */
  status?: string;
  host?: string;
  /** Stages or inputs the run left out, and why (manifest `skipped`). */
  skipped: { stage: string; reason: string }[];
}

type Json = Record<string, unknown>;

function isObject(x: unknown): x is Json {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function scalar(x: unknown): string | undefined {
  return typeof x === "string" || typeof x === "number" || typeof x === "boolean" ? String(x) : undefined;
}

/** The first of `keys` present in `obj` as a scalar. */
function first(obj: Json | undefined, keys: string[]): string | undefined {
  if (!obj) return undefined;
  for (const k of keys) {
    const v = scalar(obj[k]);
    if (v !== undefined) return v;
  }
  return undefined;
}

const PATH_KEYS = ["path", "file", "name", "filename"];
const SUM_KEYS = ["sha256", "checksum", "hash", "digest"];

/** Files as an array of `{path, sha256}` objects, a record path → sha256, or a record path → `{sha256}`. */
function files(x: unknown): FileSum[] {
  if (Array.isArray(x)) {
    return x.flatMap((f) => {
      if (typeof f === "string") return [{ path: f }];
      if (!isObject(f)) return [];
      const path = first(f, PATH_KEYS);
      return path === undefined ? [] : [{ path, sha256: first(f, SUM_KEYS) }];
    });
  }
  if (isObject(x)) {
    return Object.entries(x).map(([path, v]) => ({
      path,
      sha256: scalar(v) ?? (isObject(v) ? first(v, SUM_KEYS) : undefined),
    }));
  }
  return [];
}

function dataset(name: string, v: unknown): DatasetInfo {
  if (!isObject(v)) return { name, files: scalar(v) ? [{ path: name, sha256: scalar(v) }] : [] };
  const split = first(v, ["split"]);
  const fileList = files(v.files ?? v.checksums ?? v.sha256 ?? []);
  const single = first(v, SUM_KEYS);
  const missing = v.missing === true || v.available === false || v.status === "missing"
    ? first(v, ["reason", "error", "note"]) ?? "missing"
    : undefined;
  return {
    name: (first(v, ["name", "id"]) ?? name) + (split ? ` (${split})` : ""),
    files: fileList.length > 0
      ? fileList
      : single
      ? [{ path: first(v, PATH_KEYS) ?? name, sha256: single }]
      : [],
    missing,
  };
}

/** Extracts the title-page facts from a parsed manifest (anything JSON); absent facts stay undefined/empty. */
export function extractProvenance(manifest: unknown): Provenance {
  const m = isObject(manifest) ? manifest : {};
  const model = isObject(m.model) ? m.model : undefined;
  const config = isObject(m.config) ? m.config : undefined;
  const datasets = Array.isArray(m.datasets)
    ? m.datasets.map((d, i) => dataset(`dataset ${i + 1}`, d))
    : isObject(m.datasets)
    ? Object.entries(m.datasets).map(([name, d]) => dataset(name, d))
    : [];
  const versions = isObject(m.versions)
    ? Object.fromEntries(Object.entries(m.versions).flatMap(([k, v]) => scalar(v) ? [[k, scalar(v)!]] : []))
    : {};
  const dates = Object.fromEntries(
    Object.entries(m).flatMap(([k, v]) => {
      if (!/(date|time|created|started|ended|finished|completed|resumed)/i.test(k)) return [];
      const text = Array.isArray(v) ? v.map(scalar).filter((x) => x !== undefined).join(", ") : scalar(v);
      return text ? [[k, text]] : [];
    }),
  );
  const command = scalar(m.commandLine) ??
    (Array.isArray(m.command) ? m.command.join(" ") : scalar(m.command));
  const status = scalar(m.status);
  const host = isObject(m.host)
    ? Object.values(m.host).map(scalar).filter((x) => x).join(" ")
    : scalar(m.host);
  return {
    model: scalar(m.model) ?? first(model, ["ref", "id", "repo", "name"]) ??
      first(m, ["modelRef", "model_ref"]) ??
      first(config, ["model"]),
    revision: first(model, ["revision"]) ?? first(m, ["revision"]),
    weights: files(model?.files ?? model?.weights ?? m.weights ?? []),
    datasets,
    executionProvider: first(m, ["executionProvider", "execution_provider", "ep", "provider"]) ??
      first(config, ["executionProvider", "execution_provider", "ep"]),
    versions,
    dates,
    command,
    seed: first(m, ["seed"]) ?? first(config, ["seed"]),
    status: status && scalar(m.error) ? `${status}: ${scalar(m.error)}` : status,
    host,
    skipped: Array.isArray(m.skipped)
      ? m.skipped.flatMap((s) =>
        isObject(s) && scalar(s.stage) && scalar(s.reason)
          ? [{ stage: scalar(s.stage)!, reason: scalar(s.reason)! }]
          : []
      )
      : [],
  };
}

const REASON_KEYS = ["reason", "skipReason", "skip_reason", "skipped", "error", "message"];

/**
 * Why the manifest says `stage` did not run, if it says: a `stages`/`skipped` entry keyed by or naming the
 * stage, carrying a reason string; else, for a failed run, its error.
 */
export function skipReason(manifest: unknown, stage: string): string | undefined {
  if (!isObject(manifest)) return undefined;
  for (const container of [manifest.stages, manifest.skipped, manifest.skips]) {
    const entries: [string, unknown][] = Array.isArray(container)
      ? container.map((e) => [isObject(e) ? first(e, ["stage", "name", "id"]) ?? "" : "", e])
      : isObject(container)
      ? Object.entries(container)
      : [];
    for (const [name, entry] of entries) {
      if (name !== stage) continue;
      if (typeof entry === "string") return entry;
      const reason = isObject(entry) ? first(entry, REASON_KEYS) : undefined;
      if (reason !== undefined && reason !== "true" && reason !== "false") return reason;
    }
  }
  const error = scalar(manifest.error);
  return manifest.status === "failed" && error ? `the run failed: ${error}` : undefined;
}
