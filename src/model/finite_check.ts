import { ActpatError } from "../util/errors.ts";
import { progress } from "../util/progress.ts";
import { fileIdentity, recall, remember } from "./_file_memo.ts";
import type { StorageDType, WeightStore, WeightTensor } from "./weights.ts";

/** A tensor holding NaN or ±Inf values. */
export interface NonfiniteTensor {
  name: string;
  /** Where the tensor sits in the model, e.g. `layer 2, mlp.down_proj`. */
  where: string;
  nan: number;
  inf: number;
  /** Element index of the first non-finite value. */
  first: number;
  /** The file holding it, or null for converted (in-memory) weights. */
  file: string | null;
}

/** Bytes scanned per read: large enough for sequential reads at disk speed, small next to any model. */
const CHUNK = 16 << 20;
/** Scans above this size show a progress line. */
const SHOW_PROGRESS = 1 << 30;

/**
 * Bit tests on 32-bit words for a non-finite value (exponent bits all ones). For the 16-bit types two values
 * share a word: masking their exponents and adding one to each carries into the sign bit only when the
 * exponent is all ones, and never into the neighbour.
 */
const EXP_ALL_ONES: Record<StorageDType, { mask: number; add: number; sign: number }> = {
  F32: { mask: 0x7f800000, add: 0x00800000, sign: 0x80000000 },
  F16: { mask: 0x7c007c00, add: 0x04000400, sign: 0x80008000 },
  BF16: { mask: 0x7f807f80, add: 0x00800080, sign: 0x80008000 },
};

/** Index of the first 32-bit word holding a non-finite value, or -1: the hot loop, one pass, no allocation. */
function firstBadWord(words: Uint32Array, dtype: StorageDType): number {
  const { mask, add, sign } = EXP_ALL_ONES[dtype];
  for (let i = 0; i < words.length; i++) {
    if ((((words[i] & mask) + add) & sign) !== 0) return i;
  }
  return -1;
}

/** Counts NaN and ±Inf among `count` values of `bytes` (little-endian), only once a bad word was found. */
function classify(bytes: Uint8Array, dtype: StorageDType, count: number, tally: Tally, base: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < count; i++) {
    let exp: boolean, mantissa: boolean;
    if (dtype === "F32") {
      const v = view.getUint32(4 * i, true);
      exp = (v & 0x7f800000) === 0x7f800000;
      mantissa = (v & 0x007fffff) !== 0;
    } else {
      const v = view.getUint16(2 * i, true);
      const [e, m] = dtype === "F16" ? [0x7c00, 0x03ff] : [0x7f80, 0x007f];
      exp = (v & e) === e;
      mantissa = (v & m) !== 0;
    }
    if (!exp) continue;
    if (tally.first < 0) tally.first = base + i;
    if (mantissa) tally.nan++;
    else tally.inf++;
  }
}

interface Tally {
  nan: number;
  inf: number;
  first: number;
}

/** Scans `bytes` (whole values of `dtype`) and adds what it finds to `tally`. */
function scanBytes(bytes: Uint8Array, dtype: StorageDType, tally: Tally, base: number): void {
  const size = dtype === "F32" ? 4 : 2;
  const wordBytes = bytes.byteLength - (bytes.byteLength % 4);
  const aligned = bytes.byteOffset % 4 === 0
    ? new Uint32Array(bytes.buffer, bytes.byteOffset, wordBytes / 4)
    : new Uint32Array(bytes.slice(0, wordBytes).buffer);
  const bad = firstBadWord(aligned, dtype);
  // A trailing 16-bit value that does not fill a word is classified directly.
  const tail = bytes.byteLength > wordBytes;
  if (bad < 0 && !tail) return;
  const from = bad < 0 ? wordBytes : bad * 4;
  classify(bytes.subarray(from), dtype, (bytes.byteLength - from) / size, tally, base + from / size);
}

/** Where a tensor sits: `layer 2, mlp.down_proj`, `embedding`, `final norm`, `lm_head`. */
export function tensorPlace(name: string): string {
  const m = name.match(/^model\.layers\.(\d+)\.(.+)\.(weight|bias)$/);
  if (m) return `layer ${m[1]}, ${m[2]}${m[3] === "bias" ? " bias" : ""}`;
  if (name === "model.embed_tokens.weight") return "embedding";
  if (name === "model.norm.weight") return "final norm";
  if (name === "lm_head.weight") return "lm_head";
  return name;
}

/** Scans one file's tensors, reading each byte once in file order. */
async function scanFile(
  path: string,
  tensors: WeightTensor[],
  onBytes: (n: number) => void,
): Promise<NonfiniteTensor[]> {
  const found: NonfiniteTensor[] = [];
  using file = await Deno.open(path, { read: true });
  const buf = new Uint8Array(CHUNK);
  for (const t of tensors) {
    if (t.source.kind !== "file") continue;
    const size = t.dtype === "F32" ? 4 : 2;
    const tally: Tally = { nan: 0, inf: 0, first: -1 };
    await file.seek(t.source.offset, Deno.SeekMode.Start);
    for (let done = 0; done < t.source.byteLength;) {
      const want = Math.min(CHUNK, t.source.byteLength - done);
      let got = 0;
      while (got < want) {
        const n = await file.read(buf.subarray(got, want));
        if (n === null) {
          throw new ActpatError(`read ${path}`, `file ends inside tensor ${t.name}`);
        }
        got += n;
      }
      scanBytes(buf.subarray(0, want), t.dtype, tally, done / size);
      done += want;
      onBytes(want);
    }
    if (tally.first >= 0) found.push({ name: t.name, where: tensorPlace(t.name), ...tally, file: path });
  }
  return found;
}

/**
 * Every tensor of `store` holding NaN or ±Inf, in checkpoint order. Each stored value is read once and
 * tested on its bits (F32, F16 and BF16 alike, without converting). A file found wholly finite is
 * remembered in `<cache>/finite/` by (real path, size, mtime), so later loads only stat it.
 */
export async function findNonfinite(
  store: WeightStore,
  options: { cacheDir?: string; quiet?: boolean } = {},
): Promise<NonfiniteTensor[]> {
  const tensors = store.names().map((n) => store.get(n));
  const byFile = new Map<string, WeightTensor[]>();
  const found: NonfiniteTensor[] = [];
  for (const t of tensors) {
    if (t.source.kind === "memory") {
      const tally: Tally = { nan: 0, inf: 0, first: -1 };
      const d = t.source.data;
      scanBytes(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), "F32", tally, 0);
      if (tally.first >= 0) found.push({ name: t.name, where: tensorPlace(t.name), ...tally, file: null });
    } else {
      const list = byFile.get(t.source.path) ?? [];
      list.push(t);
      byFile.set(t.source.path, list);
    }
  }
  const pending: { path: string; tensors: WeightTensor[]; id: Awaited<ReturnType<typeof fileIdentity>> }[] =
    [];
  for (const [path, list] of byFile) {
    const id = await fileIdentity(path);
    if ((await recall(id, { kind: "finite", root: options.cacheDir })) !== true) {
      pending.push({ path, tensors: list, id });
    }
  }
  const total = pending.reduce(
    (a, p) => a + p.tensors.reduce((b, t) => b + (t.source.kind === "file" ? t.source.byteLength : 0), 0),
    0,
  );
  const bar = total >= SHOW_PROGRESS && !options.quiet
    ? progress("check weights", total, { unit: "B" })
    : null;
  for (const p of pending) {
    const sorted = [...p.tensors].sort((a, b) =>
      (a.source.kind === "file" ? a.source.offset : 0) - (b.source.kind === "file" ? b.source.offset : 0)
    );
    const bad = await scanFile(p.path, sorted, (n) => bar?.tick(n));
    if (bad.length === 0) await remember(p.id, true, { kind: "finite", root: options.cacheDir });
    found.push(...bad);
  }
  bar?.done();
  const order = new Map(tensors.map((t, i) => [t.name, i]));
  return found.sort((a, b) => order.get(a.name)! - order.get(b.name)!);
}

/** `model.layers.2.mlp.down_proj.weight (layer 2, mlp.down_proj): 1 NaN, 0 ±Inf, first at element 17`. */
export function describeNonfinite(t: NonfiniteTensor): string {
  const where = t.where === t.name ? "" : ` (${t.where})`;
  const file = t.file ? ` in ${t.file}` : "";
  return `${t.name}${where}${file}: ${t.nan} NaN, ${t.inf} ±Inf, first at element ${t.first}`;
}

/** Options of {@link checkFiniteWeights}. */
export interface FiniteCheckOptions {
  /** Load anyway, with a warning (the tasks' `--allow-nonfinite`); default false. */
  allowNonfinite?: boolean;
  cacheDir?: string;
  quiet?: boolean;
}

/**
 * The loader's finite check: throws `Cannot load model: tensor <name> (layer L, <module>) ... holds NaN or
 * ±Inf` naming every such tensor (the first three, and how many more), unless `allowNonfinite`, in which
 * case it warns on stderr and returns what it found.
 */
export async function checkFiniteWeights(
  store: WeightStore,
  options: FiniteCheckOptions = {},
): Promise<NonfiniteTensor[]> {
  const bad = await findNonfinite(store, options);
  if (bad.length === 0) return bad;
  const listed = bad.slice(0, 3).map(describeNonfinite).join("; ");
  const more = bad.length > 3 ? `; and ${bad.length - 3} more tensors` : "";
  const allow = options.allowNonfinite ?? false;
  if (allow) {
    if (!options.quiet) {
      console.error(`warning: loading non-finite weights (--allow-nonfinite): ${listed}${more}`);
    }
    return bad;
  }
  throw new ActpatError(
    "load model",
    `${
      bad.length === 1 ? "a tensor holds" : `${bad.length} tensors hold`
    } NaN or ±Inf values: ${listed}${more}. ` +
      "The checkpoint is damaged; pass --allow-nonfinite to load it anyway",
  );
}
