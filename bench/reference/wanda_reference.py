#!/usr/bin/env python3
"""Wanda pruning in PyTorch on the calibration windows a `deno task prune` run recorded: a yardstick for actpat,
never part of the product.

The procedure of locuslab/wanda `lib/prune.py` `prune_wanda` (unstructured, uniform sparsity), written again on
transformers' model: the calibration windows are rebuilt from the run's manifest (C4 rows tokenized one by one
with BOS, as `lib/data.py` `get_c4` does, each window ids[start : start + L] of the recorded document); layer by
layer, every linear's input columns get the running mean of their squared norms over the windows
(`WrappedGPT.add_batch`), the score |W| · sqrt(that) is sorted per output row (stable) and the lowest fraction
of each row is zeroed; the pruned layer then runs again to give the next layer its inputs. The zeros are
compared with the checkpoint actpat saved, linear by linear.

Usage (torch and transformers; the CPU is enough for a small model):
  python3 bench/reference/wanda_reference.py --model SOURCE_DIR --pruned SAVED_DIR --run PRUNE_RUN_DIR \\
      --rows c4-train.jsonl [--max-mismatch 1e-4]
Exits 1 when, in some linear, the fraction of entries pruned on one side only exceeds --max-mismatch.
"""
import argparse
import hashlib
import json
import sys

import torch
from hf_model import LINEAR_OWNERS, linear, load_model


def calibration_windows(tokenizer, manifest, rows_path):
    cal = next(d for d in manifest["datasets"] if d.get("windows", {}).get("docs") is not None)
    with open(rows_path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    if digest not in [x["sha256"] for x in cal["files"]]:
        sys.exit(f"{rows_path} is not the file the run read (sha256 {digest})")
    with open(rows_path, encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f if line.strip()]
    w = cal["windows"]
    return [tokenizer(texts[d]).input_ids[s:s + w["seqLen"]] for d, s in zip(w["docs"], w["starts"])]


def layer_inputs(model, windows):
    """Layer 0's positional and keyword arguments for each window (hidden states, masks, rotary embeddings)."""
    captured = []

    class Stop(Exception):
        pass

    def grab(_module, args, kwargs):
        # No KV cache: a layer run twice on one window (statistics, then pruned outputs) must not attend to the
        # keys and values its first run left there.
        captured.append((args, {k: v for k, v in kwargs.items() if k not in ("past_key_values", "past_key_value")}))
        raise Stop

    handle = model.model.layers[0].register_forward_pre_hook(grab, with_kwargs=True)
    try:
        for ids in windows:
            try:
                model(torch.tensor([ids]), use_cache=False)
            except Stop:
                pass
    finally:
        handle.remove()
    return captured


def run_layer(layer, args, kwargs):
    out = layer(*args, **kwargs)
    return out[0] if isinstance(out, tuple) else out


def prune(model, windows, sparsity):
    """Zeroes the weights in place, layer by layer; returns {(layer, module): mask of zeroed entries}."""
    masks = {}
    inputs = layer_inputs(model, windows)
    with torch.no_grad():
        for index, layer in enumerate(model.model.layers):
            linears = {m: linear(layer, m) for m in LINEAR_OWNERS}
            scaler = {m: torch.zeros(lin.in_features, dtype=torch.float64) for m, lin in linears.items()}
            seen = {m: 0 for m in linears}

            def add_batch(m):
                def hook(_module, inp, _out):
                    x = inp[0].reshape(-1, inp[0].shape[-1]).t().double()  # [in, tokens]
                    batch = 1  # one window per forward, as Wanda; it counts samples, not tokens
                    scaler[m] *= seen[m] / (seen[m] + batch)
                    seen[m] += batch
                    scaler[m] += torch.norm(x, p=2, dim=1) ** 2 / seen[m]
                return hook

            handles = [lin.register_forward_hook(add_batch(m)) for m, lin in linears.items()]
            for args, kwargs in inputs:
                run_layer(layer, args, kwargs)
            for h in handles:
                h.remove()
            for m, lin in linears.items():
                metric = lin.weight.abs().double() * torch.sqrt(scaler[m].reshape(1, -1))
                order = torch.sort(metric, dim=-1, stable=True)[1]
                mask = torch.zeros_like(metric, dtype=torch.bool)
                mask.scatter_(1, order[:, :int(metric.shape[1] * sparsity)], True)
                lin.weight[mask] = 0
                masks[(index, m)] = mask
            inputs = [((run_layer(layer, args, kwargs),) + tuple(args[1:]), kwargs) for args, kwargs in inputs]
    return masks


def main():
    import transformers
    from transformers import AutoTokenizer

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, help="the checkpoint actpat pruned")
    p.add_argument("--pruned", required=True, help="the checkpoint actpat saved")
    p.add_argument("--run", required=True, help="the prune run directory (manifest.json)")
    p.add_argument("--rows", required=True, help="the calibration rows file the run read (C4 JSON lines)")
    # Scores equal on both sides up to float32 rounding: an entry flips where two scores of a row tie within
    # rounding, and in later layers where such flips moved the calibration inputs (2-layer Llama-2-7B shape:
    # at most 6.7e-5 of a linear); a wrong score, window or order flips a large share of every row.
    p.add_argument("--max-mismatch", type=float, default=1e-4)
    a = p.parse_args()

    manifest = json.load(open(f"{a.run}/manifest.json"))
    config = manifest["config"]
    if config["method"] != "wanda" or config["allocation"] != "uniform" or config["pattern"] != "unstructured":
        sys.exit("only wanda, uniform, unstructured runs are rebuilt here")
    model = load_model(a.model)
    tokenizer = AutoTokenizer.from_pretrained(a.model)
    windows = calibration_windows(tokenizer, manifest, a.rows)
    masks = prune(model, windows, config["sparsity"])
    saved = load_model(a.pruned)

    worst, where, total = 0.0, "", 0
    for (index, m), mask in masks.items():
        theirs = linear(saved.model.layers[index], m).weight == 0
        differ = int((mask != theirs).sum())
        total += differ
        if differ / mask.numel() > worst:
            worst, where = differ / mask.numel(), f"layer {index} {m}"
    result = {"torch": torch.__version__, "transformers": transformers.__version__, "windows": len(windows),
              "linears": len(masks), "entriesDiffering": total, "largestFraction": worst, "at": where}
    print(json.dumps(result, indent=2))
    if worst > a.max_mismatch:
        sys.exit(f"FAIL: {where}: {worst:.3e} of the entries pruned on one side only > {a.max_mismatch:g}")


if __name__ == "__main__":
    main()
