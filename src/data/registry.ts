/**
 * Every dataset actpat reads: one declarative file each under datasets/ (source, splits, prompts, choices,
 * metrics, and the split each experiment reads: evaluation, calibration, the paper's samples), listed here
 * once. Splits named `<split>-first<N>` (and hellaswag's `validation-subset200`) are pieces of a split that
 * the repository embeds for the default configuration: the first N rows of the publisher's file, byte for
 * byte (datasets/README.md). Checksums and sizes come from the mirror's SOURCE.md files
 * (../shared/hub/datasets/<name>/SOURCE.md). Prompts reproduce lm-evaluation-harness
 * (EleutherAI/lm-evaluation-harness, files and commits cited per entry) and the paper's code
 * (Qian2333/Exploring-Activation-Patterns-of-Parameters-in-Language-Models @93503116, lib/dataset/*.py).
 */
import { DatasetRegistry } from "./dataset_spec.ts";
import { boolq } from "./datasets/boolq.ts";
import { c4 } from "./datasets/c4.ts";
import { c410k } from "./datasets/c4_10k.ts";
import { gsm8k } from "./datasets/gsm8k.ts";
import { hellaswag } from "./datasets/hellaswag.ts";
import { humaneval } from "./datasets/humaneval.ts";
import { mmlu } from "./datasets/mmlu.ts";
import { pg19 } from "./datasets/pg19.ts";
import { piqa } from "./datasets/piqa.ts";
import { sick } from "./datasets/sick.ts";
import { siqa } from "./datasets/siqa.ts";
import { stsb } from "./datasets/stsb.ts";
import { wikitext2 } from "./datasets/wikitext2.ts";

/** All datasets, by name; the evaluation tasks in the order of the paper's Table 1. */
export const DATASETS: DatasetRegistry = new DatasetRegistry([
  c4,
  wikitext2,
  c410k,
  pg19,
  boolq,
  siqa,
  piqa,
  hellaswag,
  mmlu,
  gsm8k,
  humaneval,
  stsb,
  sick,
]);
