#!/usr/bin/env python3
"""The paper's per-layer activation similarity of STS sentence pairs, recomputed in PyTorch: a yardstick for
actpat's `deno task sts` (sts_pairs.csv), never part of the product.

Each sentence is fed alone (tokenized with BOS); y is the largest logit at the last position; v = W ⊙ ∂y/∂W
over the 7 linear weights of a decoder layer, taken as one vector; the similarity of a pair at that layer is
Σ|v_a v_b| / (‖v_a‖ ‖v_b‖) (the authors' llm_test_grad.py). The pairs are the rows sts_pairs.csv names, read
from the benchmark files (STS-B: tab-separated, sentence1 and sentence2 in columns 6 and 7; SICK: TSV with a
header, sentence_A and sentence_B).

Usage (torch and transformers; the CPU is enough for a small model):
  python3 bench/reference/sts_reference.py --run STS_RUN_DIR --model DIR --stsb sts-dev.csv --sick SICK.txt \\
      [--rtol 1e-4]
Exits 1 when a similarity differs from actpat's by more than rtol.
"""
import argparse
import csv
import json
import sys

import torch
from hf_model import LINEAR_OWNERS, linear, load_model


def stsb_pairs(path):
    with open(path, encoding="utf-8", newline="") as f:
        rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    return [(r[5], r[6]) for r in rows]


def sick_pairs(path):
    with open(path, encoding="utf-8", newline="") as f:
        rows = [line.rstrip("\n").split("\t") for line in f if line.strip()][1:]
    return [(r[1], r[2]) for r in rows]


def activation(model, tokenizer, text):
    """Per layer, v = W ⊙ ∂y/∂W of the 7 linears, flattened and concatenated (float64)."""
    model.zero_grad(set_to_none=True)
    logits = model(torch.tensor([tokenizer(text).input_ids])).logits[0, -1]
    logits.max().backward()
    out = []
    for layer in model.model.layers:
        ws = [linear(layer, m).weight for m in LINEAR_OWNERS]
        out.append(torch.cat([(w.detach() * w.grad).double().flatten() for w in ws]))
    return out


def main():
    import transformers
    from transformers import AutoTokenizer

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--run", required=True, help="an sts run directory (sts_pairs.csv)")
    p.add_argument("--model", required=True)
    p.add_argument("--stsb", required=True)
    p.add_argument("--sick", required=True)
    # float32 gradients on both sides, summed in different orders: ~1e-7 on a similarity in [0, 1].
    p.add_argument("--rtol", type=float, default=1e-4)
    a = p.parse_args()

    model = load_model(a.model)
    for prm in model.parameters():
        prm.requires_grad_(False)
    for layer in model.model.layers:
        for m in LINEAR_OWNERS:
            linear(layer, m).weight.requires_grad_(True)
    tokenizer = AutoTokenizer.from_pretrained(a.model)
    pairs = {"stsb": stsb_pairs(a.stsb), "sick": sick_pairs(a.sick)}

    worst, where, compared, cache = 0.0, "", 0, {}
    with open(f"{a.run}/sts_pairs.csv", newline="") as f:
        for row in csv.DictReader(f):
            bench, row_id, layer = row["benchmark"], int(row["id"]), int(row["layer"])
            if (bench, row_id) not in cache:
                sa, sb = pairs[bench][row_id]
                cache[(bench, row_id)] = (activation(model, tokenizer, sa), activation(model, tokenizer, sb))
            va, vb = (v[layer] for v in cache[(bench, row_id)])
            want = float((va * vb).abs().sum() / torch.sqrt((va * va).sum() * (vb * vb).sum()))
            err = abs(float(row["activation"]) - want)
            compared += 1
            if err > worst:
                worst, where = err, f"{bench} row {row_id} layer {layer}: actpat {row['activation']} torch {want}"
    print(json.dumps({"torch": torch.__version__, "transformers": transformers.__version__, "pairs": len(cache),
                      "similarities": compared, "largestDifference": worst, "at": where}, indent=2))
    if compared == 0 or worst > a.rtol:
        sys.exit(f"FAIL: {where or 'nothing compared'} (difference {worst:.3e} > rtol {a.rtol:g})")


if __name__ == "__main__":
    main()
