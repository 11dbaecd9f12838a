#!/usr/bin/env python3
"""The paper's activation density in PyTorch: a yardstick for actpat (issue 9), never part of the product.

For each token window (the same ones actpat used, read from the JSON that `deno task bench --suite density`
writes), a per-sample backward of y = max over the vocabulary of the last position's logits through
transformers' AutoModelForCausalLM loaded from the same checkpoint folder; |W * dy/dW| of the 7 linear weights of
every decoder layer is accumulated on the device (a hook per weight folds each gradient into the accumulator
as soon as it exists and frees it, so at most about one layer's gradients are alive). Per layer, the number
of parameters whose mean over the N windows exceeds each threshold gamma is compared with actpat's counts
(pass: within 0.5 %), together with y and the per-layer sums, and throughput is compared as a ratio.

Usage (on the GPU machine; Python 3.12, torch, transformers):
  python3 bench/reference/density_reference.py --actpat bench_density.json \
      [--model llama2-7b:2] [--seq-len 256] [--device cuda,cpu] [--dtype float32] [--threads 16] \
      [--samples K] [--out reference.json]
"""
import argparse
import json
import resource
import sys
import time

import torch
from hf_model import LINEAR_OWNERS, linear, load_model

COUNT_TOLERANCE = 0.005  # the bar: per-layer counts within 0.5 %


def linear_weights(model):
    out = []
    for layer_index, layer in enumerate(model.model.layers):
        for m in LINEAR_OWNERS:
            out.append((layer_index, m, linear(layer, m).weight))
    return out


def density(model, windows, gammas, device, warmup=True):
    """Runs every window; returns per-layer counts, per-layer sums of the mean, y, and timings."""
    for p in model.parameters():
        p.requires_grad_(False)
    weights = linear_weights(model)
    acc = []
    for _, _, w in weights:
        w.requires_grad_(True)
        acc.append(torch.zeros(w.shape, dtype=torch.float32, device=w.device))

    hooked = hasattr(torch.Tensor, "register_post_accumulate_grad_hook")
    handles = []
    if hooked:
        for i, (_, _, w) in enumerate(weights):
            def fold(p, i=i):
                acc[i].add_(p.grad.mul_(p.detach()).abs_())
                p.grad = None

            handles.append(w.register_post_accumulate_grad_hook(fold))

    def one(window):
        ids = torch.tensor([window], dtype=torch.long, device=device)
        hidden = model.model(input_ids=ids, use_cache=False).last_hidden_state  # [1, T, d]
        y = model.lm_head(hidden[:, -1, :]).float().max()
        y.backward()
        if not hooked:  # torch < 2.1: fold after the whole backward
            for i, (_, _, w) in enumerate(weights):
                acc[i].add_(w.grad.mul_(w.detach()).abs_())
                w.grad = None
        return y.detach()

    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    warm_s = 0.0
    if warmup:
        t0 = time.perf_counter()
        one(windows[0])
        sync()
        warm_s = time.perf_counter() - t0
        for a in acc:
            a.zero_()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    t0 = time.perf_counter()
    ys = [one(w) for w in windows]
    sync()
    run_s = time.perf_counter() - t0
    for h in handles:
        h.remove()

    n = len(windows)
    layers = len(model.model.layers)
    counts = [[0] * len(gammas) for _ in range(layers)]
    sums = [0.0] * layers
    for i, (layer_index, _, _) in enumerate(weights):
        for g, gamma in enumerate(gammas):
            counts[layer_index][g] += int((acc[i] > gamma * n).sum().item())
        sums[layer_index] += float(acc[i].sum(dtype=torch.float64).item()) / n
    sync()
    count_s = time.perf_counter() - t0 - run_s
    peak_gpu = torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None
    return {
        "counts": counts,
        "layer_sums": sums,
        "y": [float(y.item()) for y in ys],
        "warmup_s": warm_s,
        "time_s": run_s,
        "count_s": count_s,
        "samples_per_s": n / run_s,
        "peak_gpu_mib": peak_gpu,
    }


def rel_l2(a, b):
    num = sum((x - y) ** 2 for x, y in zip(a, b))
    den = sum(y * y for y in b)
    return (num / den) ** 0.5 if den > 0 else float("nan")


def max_count_rel(a, b):
    return max(abs(x - y) / max(y, 1) for ra, rb in zip(a, b) for x, y in zip(ra, rb))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--actpat", required=True, nargs="+", help="density JSON(s) written by deno task bench")
    ap.add_argument("--model", help="model label in the JSON (default: the first record's)")
    ap.add_argument("--model-dir", help="checkpoint folder (default: the record's dir)")
    ap.add_argument("--seq-len", type=int, help="window length (default: the first record's)")
    ap.add_argument("--device", default="cuda,cpu", help="comma list of torch devices")
    ap.add_argument("--dtype", default="float32", choices=["float32", "float16", "bfloat16"])
    ap.add_argument("--threads", type=int, default=16, help="CPU threads (torch.set_num_threads)")
    ap.add_argument("--samples", type=int, help="use the first K windows (default: the most any record used)")
    ap.add_argument("--out", help="write the PyTorch results and the comparison as JSON")
    ap.add_argument("--tf32", action="store_true", help="torch.backends.cuda.matmul.allow_tf32 = True")
    args = ap.parse_args()

    records = []
    for path in args.actpat:
        with open(path) as f:
            records += json.load(f)["records"]
    if not records:
        sys.exit(f"error: no density records in {args.actpat}")
    model_label = args.model or records[0]["model"]
    seq_len = args.seq_len or next((r["seq_len"] for r in records if r["model"] == model_label), None)
    records = [r for r in records if r["model"] == model_label and r["seq_len"] == seq_len]
    if not records:
        sys.exit(f"error: no actpat record for model {model_label} at seq_len {seq_len} in {args.actpat}")
    ref = max(records, key=lambda r: r["samples"])
    n = args.samples or ref["samples"]
    windows = ref["windows"][:n]
    # Records over the same n windows are compared; the others are timing only.
    for r in records:
        if r["windows"] != ref["windows"][: r["samples"]]:
            sys.exit(f"error: records of {model_label} at {seq_len} were made from different windows")
    gammas = sorted({g for r in records for g in r["gammas"]})
    path = args.model_dir or ref["dir"]
    torch.set_num_threads(args.threads)
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    dtype = getattr(torch, args.dtype)

    print(f"torch {torch.__version__}; model {model_label} ({path}); {len(windows)} windows x {seq_len} tokens; "
          f"gammas {['%.3g' % g for g in gammas]}; tf32 matmul {torch.backends.cuda.matmul.allow_tf32}",
          flush=True)
    runs = []
    for dev_name in [d.strip() for d in args.device.split(",") if d.strip()]:
        device = torch.device(dev_name)
        if device.type == "cuda" and not torch.cuda.is_available():
            print(f"skip {dev_name}: CUDA is not available", flush=True)
            continue
        t0 = time.perf_counter()
        model = load_model(path, dtype).to(device)
        load_s = time.perf_counter() - t0
        res = density(model, windows, gammas, device)
        res.update(device=dev_name, dtype=args.dtype, load_s=load_s,
                   threads=args.threads if device.type == "cpu" else None,
                   card=torch.cuda.get_device_name(device) if device.type == "cuda" else None,
                   peak_rss_gib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20)
        runs.append(res)
        print(f"pytorch {dev_name}/{args.dtype}: load {load_s:.1f} s, warm-up {res['warmup_s']:.2f} s, "
              f"{len(windows)} samples in {res['time_s']:.2f} s = {res['samples_per_s']:.3f} samples/s, "
              f"counting {res['count_s']:.2f} s, peak GPU {res['peak_gpu_mib']} MiB", flush=True)
        del model
        if device.type == "cuda":
            torch.cuda.empty_cache()

    print("\ncomparison (counts: max |actpat - pytorch| / pytorch over layers and gammas; pass <= 0.5 %;")
    print("speed ratio: actpat samples/s over pytorch samples/s)")
    print(f"{'pytorch':<26} {'actpat':<30} {'N':>3} {'ratio':>7} {'max dcount':>10} {'y rel':>9} {'sums rel':>9}  ok")
    comparisons = []
    ok_all = True
    for run in runs:
        for r in records:
            same = r["samples"] == n and len(r["counts"]) > 0  # a record without counts gives windows only
            ratio = r["samples_per_s"] / run["samples_per_s"]
            c = {"pytorch": f"{run['device']}/{run['dtype']}", "pytorch_card": run["card"],
                 "actpat": f"{r['ep']}/{r['dtype']}", "actpat_device": r.get("device"), "samples": r["samples"],
                 "actpat_samples_per_s": r["samples_per_s"], "pytorch_samples_per_s": run["samples_per_s"],
                 "ratio_actpat_over_pytorch": ratio}
            label = f"{r['ep']}/{r['dtype']} ({r.get('device', '')[:12]})"
            if same:
                mine = [[row[gammas.index(g)] for g in r["gammas"]] for row in run["counts"]]
                c["max_count_rel"] = max_count_rel(r["counts"], mine)
                c["y_rel_l2"] = rel_l2(r["y"], run["y"][: len(r["y"])])  # actpat keeps the first batch's y
                c["layer_sums_rel_l2"] = rel_l2(r["layer_sums"], run["layer_sums"])
                c["ok"] = c["max_count_rel"] <= COUNT_TOLERANCE
                ok_all = ok_all and c["ok"]
                print(f"{c['pytorch']:<26} {label:<30} {r['samples']:>3} {ratio:>7.3f} {c['max_count_rel']:>10.2e} "
                      f"{c['y_rel_l2']:>9.2e} {c['layer_sums_rel_l2']:>9.2e}  {'yes' if c['ok'] else 'NO'}")
            else:
                print(f"{c['pytorch']:<26} {label:<30} {r['samples']:>3} {ratio:>7.3f}  (other N: timing only)")
            comparisons.append(c)
    for r in records:
        if r["samples"] == n and r["counts"]:
            print(f"  actpat {r['ep']}/{r['dtype']} counts at gamma {r['gammas'][0]:.3g}: {[row[0] for row in r['counts']]}")
    g0 = next((r["gammas"][0] for r in records if r["samples"] == n and r["counts"]), records[0]["gammas"][0])
    for run in runs:
        print(f"  pytorch {run['device']}/{run['dtype']} at {g0:.3g}: {[row[gammas.index(g0)] for row in run['counts']]}")
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"model": model_label, "seq_len": seq_len, "samples": len(windows), "gammas": gammas,
                       "runs": runs, "comparisons": comparisons}, f, indent=1)
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
