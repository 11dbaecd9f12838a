#!/usr/bin/env python3
"""The massive-activations statistics of a `deno task massive` run, recomputed in transformers: a yardstick for
actpat, never part of the product.

From the run's manifest (the analysis corpus, its recorded window starts, the window length, the feature
prompt and layer) and the corpus's raw file, the analysis sequences are rebuilt on their own (WikiText-2 as
the hub's builder yields its rows, joined with "\\n\\n", tokenized once with BOS as Wanda's loader does; each
sequence is ids[start : start + L]), every decoder layer's output is taken with a forward hook (the residual
stream after the block, before the final norm), and locuslab/massive-activations' exp2 statistics are formed:
per sequence and layer the 3 largest |h| (`torch.sort(..., descending=True)`) and `torch.median(|h|)` (the
lower middle value), averaged over the sequences. They are compared with the run's massive.csv, and the
feature prompt's hidden state at the feature layer with massive_features.csv, entry by entry.

Usage (torch and transformers; the CPU is enough for a small model):
  python3 bench/reference/massive_reference.py --run RUN_DIR --model DIR --raw wiki.test.raw [--rtol 1e-4]
Exits 1 when a statistic or a feature value differs by more than rtol (relative to max(1, |value|)).
"""
import argparse
import csv
import hashlib
import json
import sys

import torch
from hf_model import load_model
from wikitext_rows import hub_rows



def layer_outputs(model, ids):
    """Each decoder layer's output hidden state [T, d] for one sequence of token ids."""
    outs = []

    def keep(_module, _inputs, output):
        outs.append((output[0] if isinstance(output, tuple) else output)[0].detach().double())

    hooks = [layer.register_forward_hook(keep) for layer in model.model.layers]
    try:
        with torch.no_grad():
            model(torch.tensor([ids]))
    finally:
        for h in hooks:
            h.remove()
    return outs


def stats(h):
    mags = h.abs().flatten()
    top = torch.sort(mags, descending=True).values[:3]
    return [float(t) for t in top] + [float(torch.median(mags))]


def main():
    import transformers
    from transformers import AutoTokenizer

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--run", required=True, help="a massive run directory (manifest.json, massive.csv)")
    p.add_argument("--model", required=True)
    p.add_argument("--raw", required=True, help="the analysis corpus's raw file (WikiText-2)")
    # Both sides compute in float32 with different summation orders; statistics are means of ~1e-7-accurate
    # values, so 1e-4 leaves room without letting a wrong window, layer or token (errors of O(1)) through.
    p.add_argument("--rtol", type=float, default=1e-4)
    a = p.parse_args()

    manifest = json.load(open(f"{a.run}/manifest.json"))
    config = manifest["config"]
    if config.get("bos"):
        sys.exit("runs with --bos are not rebuilt here")
    corpus = next(d for d in manifest["datasets"] if d["name"] == config["corpus"] and d.get("windows"))
    with open(a.raw, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    if digest not in [x["sha256"] for x in corpus["files"]]:
        sys.exit(f"{a.raw} is not the file the run read (sha256 {digest})")
    seq_len, starts = corpus["windows"]["seqLen"], corpus["windows"]["starts"]

    model = load_model(a.model)
    tokenizer = AutoTokenizer.from_pretrained(a.model)
    ids = tokenizer("\n\n".join(hub_rows(a.raw))).input_ids

    per_layer = None
    for s in starts:
        rows = [stats(h) for h in layer_outputs(model, ids[s:s + seq_len])]
        per_layer = rows if per_layer is None else [[x + y for x, y in zip(p_, r)] for p_, r in zip(per_layer, rows)]
    mean = [[x / len(starts) for x in row] for row in per_layer]

    worst, where = 0.0, ""
    with open(f"{a.run}/massive.csv", newline="") as f:
        for row in csv.DictReader(f):
            layer = int(row["layer"])
            for k, col in enumerate(["top1", "top2", "top3", "median"]):
                want, got = mean[layer][k], float(row[col])
                err = abs(got - want) / max(1.0, abs(want))
                if err > worst:
                    worst, where = err, f"layer {layer} {col}: actpat {got} transformers {want}"

    features = 0
    prompt_ids = tokenizer(config["featurePrompt"], add_special_tokens=False).input_ids
    h = layer_outputs(model, prompt_ids)[config["featureLayer"]]
    with open(f"{a.run}/massive_features.csv", newline="") as f:
        for row in csv.DictReader(f):
            want, got = float(h[int(row["position"]), int(row["dimension"])]), float(row["value"])
            err = abs(got - want) / max(1.0, abs(want))
            features += 1
            if err > worst:
                worst, where = err, f"feature {row['position']},{row['dimension']}: actpat {got} transformers {want}"

    print(json.dumps({"torch": torch.__version__, "transformers": transformers.__version__,
                      "sequences": len(starts), "seqLen": seq_len, "layers": len(mean), "featureValues": features,
                      "largestRelativeDifference": worst, "at": where}, indent=2))
    if worst > a.rtol:
        sys.exit(f"FAIL: {where} (relative difference {worst:.3e} > rtol {a.rtol:g})")


if __name__ == "__main__":
    main()
