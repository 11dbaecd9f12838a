import assert from "node:assert/strict";
import { needsMirror } from "../../test/fixtures/mirror.ts";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { datasetStatus, formatStatus } from "./availability.ts";
import { testMirror } from "../../test/fixtures/datasets.ts";

const TASK = fileURLToPath(new URL("../../tasks/data.ts", import.meta.url));

Deno.test(
  "datasetStatus: mirrored splits counted at their official sizes, others downloadable",
  needsMirror,
  async () => {
    const cache = await Deno.makeTempDir();
    try {
      const lines = await datasetStatus({ mirror: testMirror(), cache, embedded: null });
      const at = (d: string, s: string) => lines.find((l) => l.dataset === d && l.split === s)!;
      assert.deepEqual(
        { ...at("mmlu", "test") },
        {
          dataset: "mmlu",
          kind: "multiple-choice",
          licence: "MIT",
          split: "test",
          availability: "mirror",
          officialRows: 14042,
          rows: 14042,
        },
      );
      assert.equal(at("c4", "train").availability, "downloadable");
      assert.equal(at("c4", "train").rows, undefined);
      const mirrored = lines.filter((l) => l.availability === "mirror");
      // 14 whole splits, and the real C4 (train, validation) and HellaSwag pieces of ../shared/hub.
      assert.equal(mirrored.length, 17);
      for (
        const piece of ["c4/train-first1000", "c4/validation-first1000", "hellaswag/validation-subset1000"]
      ) {
        assert.ok(mirrored.some((l) => `${l.dataset}/${l.split}` === piece), piece);
      }
      for (const l of mirrored) assert.equal(l.rows, l.officialRows, `${l.dataset}/${l.split}`);
      const text = formatStatus(lines);
      assert.match(text, /^dataset +kind +split +available +rows +official +check$/m);
      assert.match(text, /^boolq +multiple-choice +validation +mirror +3270 +3270 +ok$/m);
      // With the repository's own files first: its pieces, and the whole HumanEval file it embeds.
      const withEmbedded = await datasetStatus({ mirror: testMirror(), cache });
      const embedded = withEmbedded.filter((l) => l.availability === "embedded");
      assert.deepEqual(embedded.map((l) => `${l.dataset}/${l.split}`).sort(), [
        "boolq/validation-first200",
        "c4/train-first100",
        "hellaswag/validation-subset200",
        "humaneval/test",
        "mmlu/validation-first200",
        "piqa/validation-first200",
        "sick/validation-first300",
        "siqa/validation-first200",
        "stsb/validation-first300",
        "wikitext2/test-first200",
      ]);
      for (const l of embedded) assert.equal(l.rows, l.officialRows, `${l.dataset}/${l.split}`);
    } finally {
      await Deno.remove(cache, { recursive: true });
    }
  },
);

Deno.test("datasetStatus reports a damaged file instead of failing the listing", async () => {
  const mirror = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(mirror, "datasets/gsm8k"), { recursive: true });
    await Deno.writeTextFile(
      join(mirror, "datasets/gsm8k/test.jsonl"),
      '{"question": "q", "answer": "#### 1"}\n',
    );
    const lines = await datasetStatus({ mirror, cache: mirror });
    const line = lines.find((l) => l.dataset === "gsm8k" && l.split === "test")!;
    assert.equal(line.availability, "mirror");
    assert.match(line.error!, /test\.jsonl has sha256 [0-9a-f]{64}, expected 3730d312/);
    assert.match(formatStatus([line]), /error: Cannot load dataset "gsm8k"/);
  } finally {
    await Deno.remove(mirror, { recursive: true });
  }
});

async function runTask(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", TASK, ...args],
    env: { ACTPAT_MIRROR: testMirror() },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test(
  "deno task data: --list prints the table; a bad flag exits 2 with one clear line",
  needsMirror,
  async () => {
    const cache = await Deno.makeTempDir();
    try {
      const ok = await runTask(["--list", "--no-count", "--cache", cache]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /^sick +sentence-pair +validation +mirror +- +500$/m);
      const bad = await runTask(["--lst"]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /^error: Cannot run data: Unknown option '--lst'/m);
    } finally {
      await Deno.remove(cache, { recursive: true });
    }
  },
);
