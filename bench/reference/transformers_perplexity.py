#!/usr/bin/env python3
"""WikiText-2 perplexity of a checkpoint folder in transformers: a yardstick for actpat (issue 19), never part
of the product.

Checks that a checkpoint actpat wrote (`deno task prune --save DIR`) is a working Hugging Face checkpoint: it
loads in `AutoModelForCausalLM.from_pretrained` (Llama, Mistral, Qwen2), its tokenizer in
`AutoTokenizer.from_pretrained`, and it gives the perplexity actpat reports for it. The computation is
locuslab/wanda's `eval_ppl_wikitext` written again
from the raw file: the rows as the hub's wikitext builder yields them (a line with its newline, "" for a
blank line), joined with "\\n\\n", tokenized once by the checkpoint's tokenizer, cut into floor(n / L)
windows of L tokens, each scored on its own; ppl = exp(mean token NLL). Nothing comes from actpat but the
checkpoint folder, so tokenizer, windows and model are all checked. With the folder's `sparsity.csv`, the
zeros of every linear weight are counted against its `pruned` column.

Usage (torch and transformers; float64 on the CPU is enough for a small model):
  python3 bench/reference/transformers_perplexity.py --model DIR --raw wiki.test.raw --seq-len L \
      [--actpat RUN/eval.csv] [--rtol 1e-6] [--dtype float64] [--out result.json]
With --actpat, exits 1 when the perplexity differs from actpat's wikitext2 row by more than rtol (relative).
"""
import argparse
import csv
import json
import math
import os
import sys

import torch
from hf_model import linear, load_model
from wikitext_rows import hub_rows



def perplexity(model, ids, seq_len):
    windows = ids.numel() // seq_len
    total = 0.0
    with torch.no_grad():
        for w in range(windows):
            x = ids[w * seq_len:(w + 1) * seq_len].unsqueeze(0)
            logits = model(x).logits[0, :-1].double()
            total += torch.nn.functional.cross_entropy(logits, x[0, 1:], reduction="sum").item()
    mean = total / (windows * (seq_len - 1))
    return {"windows": windows, "tokens": windows * (seq_len - 1), "meanNll": mean, "ppl": math.exp(mean)}


def zero_counts(model, sparsity_csv):
    """Largest |zeros − pruned| over the linears listed in sparsity.csv, and how many were checked."""
    worst, checked = 0, 0
    with open(sparsity_csv, newline="") as f:
        for row in csv.DictReader(f):
            weight = linear(model.model.layers[int(row["layer"])], row["module"]).weight
            worst = max(worst, abs(int((weight == 0).sum()) - int(row["pruned"])))
            checked += 1
    return {"linears": checked, "largestDifference": worst}


def actpat_ppl(eval_csv):
    with open(eval_csv, newline="") as f:
        for row in csv.DictReader(f):
            if row["task"] == "wikitext2" and row["metric"] == "ppl":
                return float(row["value"]), int(row["n"])
    sys.exit(f"{eval_csv} has no wikitext2 ppl row")


def main():
    import transformers
    from transformers import AutoTokenizer

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True)
    p.add_argument("--raw", required=True, help="wiki.test.raw (or a prefix of it)")
    p.add_argument("--seq-len", type=int, required=True)
    p.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    p.add_argument("--actpat", help="actpat's eval.csv for the same model, split and --seq-len")
    # transformers runs RMSNorm, RoPE and softmax in float32 even in a float64 model (modeling_llama.py), so
    # float64 agreement is ~1e-7; one token scored differently in 800k moves ppl by ~6e-6.
    p.add_argument("--rtol", type=float, default=1e-6)
    p.add_argument("--out")
    a = p.parse_args()

    model = load_model(a.model, getattr(torch, a.dtype))
    tokenizer = AutoTokenizer.from_pretrained(a.model)
    ids = tokenizer("\n\n".join(hub_rows(a.raw)), return_tensors="pt").input_ids[0]
    result = {"torch": torch.__version__, "transformers": transformers.__version__, "dtype": a.dtype,
              "seqLen": a.seq_len, **perplexity(model, ids, a.seq_len)}
    sparsity = os.path.join(a.model, "sparsity.csv")
    if os.path.exists(sparsity):
        result["zeros"] = zero_counts(model, sparsity)
    failed = []
    if result.get("zeros", {}).get("largestDifference", 0) != 0:
        failed.append("zeros per linear differ from sparsity.csv")
    if a.actpat:
        ppl, windows = actpat_ppl(a.actpat)
        result["actpat"] = {"ppl": ppl, "windows": windows, "relativeDifference": abs(result["ppl"] - ppl) / ppl}
        if windows != result["windows"]:
            failed.append(f"actpat scored {windows} windows, transformers {result['windows']}")
        if result["actpat"]["relativeDifference"] > a.rtol:
            failed.append(f"perplexity differs by {result['actpat']['relativeDifference']:.3e} > rtol {a.rtol:g}")
    print(json.dumps(result, indent=2))
    if a.out:
        with open(a.out, "w") as f:
            json.dump(result, f, indent=2)
    if failed:
        sys.exit("FAIL: " + "; ".join(failed))


if __name__ == "__main__":
    main()
