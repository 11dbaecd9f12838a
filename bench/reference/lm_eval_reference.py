#!/usr/bin/env python3
"""BoolQ and PIQA scored as lm-evaluation-harness scores them, in transformers: a yardstick for actpat's
`deno task eval --scoring lm-eval`, never part of the product.

Written again from lm-eval 0.4's task YAMLs and HFLM: BoolQ "{passage}\\nQuestion: {question}?\\nAnswer:" with
" no" / " yes"; PIQA "Question: {goal}\\nAnswer:" with " {sol1}" / " {sol2}". Each (context, continuation)
is encoded as `HFLM._encode_pair` does (trailing spaces of the context move to the continuation; the
continuation's tokens are those of context + continuation after the context's own; no BOS), cut on the left
to max_length + 1 tokens, and its log-likelihood is the sum of the continuation tokens' log-probabilities.
acc takes the largest log-likelihood, acc_norm the largest per character of the choice. Each item's two
predictions are compared with actpat's eval_items.csv.

Usage (torch and transformers):
  python3 bench/reference/lm_eval_reference.py --model DIR --actpat RUN/eval_items.csv \\
      --boolq dev.jsonl --piqa valid.jsonl --piqa-labels valid-labels.lst [--max-length N]
Exits 1 when a prediction differs.
"""
import argparse
import csv
import json
import sys

import torch
from hf_model import load_model


def boolq(path):
    with open(path, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [(f"{r['passage']}\nQuestion: {r['question']}?\nAnswer:", ["no", "yes"], int(r["answer"])) for r in rows]


def piqa(path, labels_path):
    with open(path, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    with open(labels_path) as f:
        labels = [int(x) for x in f.read().split()]
    return [(f"Question: {r['goal']}\nAnswer:", [r["sol1"], r["sol2"]], g) for r, g in zip(rows, labels)]


def encode_pair(tokenizer, context, continuation):
    spaces = len(context) - len(context.rstrip())
    if spaces:
        continuation, context = context[-spaces:] + continuation, context[:-spaces]
    whole = tokenizer(context + continuation, add_special_tokens=False).input_ids
    ctx = tokenizer(context, add_special_tokens=False).input_ids
    return ctx, whole[len(ctx):]


def loglikelihood(model, tokenizer, context, continuation, max_length):
    ctx, cont = encode_pair(tokenizer, context, continuation)
    ids = (ctx + cont)[-(max_length + 1):][:-1]
    with torch.no_grad():
        logp = torch.log_softmax(model(torch.tensor([ids])).logits[0].double(), dim=-1)
    rows = logp[-len(cont):]
    return float(rows[torch.arange(len(cont)), torch.tensor(cont)].sum())


def main():
    import transformers
    from transformers import AutoTokenizer

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True)
    p.add_argument("--actpat", required=True, help="eval_items.csv of the same model and rows")
    p.add_argument("--boolq", required=True)
    p.add_argument("--piqa", required=True)
    p.add_argument("--piqa-labels", required=True)
    p.add_argument("--max-length", type=int, help="default: the model's max_position_embeddings")
    a = p.parse_args()

    model = load_model(a.model)
    tokenizer = AutoTokenizer.from_pretrained(a.model)
    max_length = a.max_length or model.config.max_position_embeddings
    tasks = {"boolq": boolq(a.boolq), "piqa": piqa(a.piqa, a.piqa_labels)}

    theirs = {}
    with open(a.actpat, newline="") as f:
        for row in csv.DictReader(f):
            theirs[(row["task"], int(row["id"]))] = row
    compared, differ, correct = 0, [], {}
    for task, items in tasks.items():
        for i, (context, choices, gold) in enumerate(items):
            row = theirs.get((task, i))
            if row is None:
                continue
            ll = [loglikelihood(model, tokenizer, context, " " + c, max_length) for c in choices]
            pred = max(range(len(ll)), key=lambda k: ll[k])
            norm = max(range(len(ll)), key=lambda k: ll[k] / len(choices[k]))
            correct[task] = correct.get(task, 0) + (pred == gold)
            compared += 1
            if int(row["gold"]) != gold or int(row["pred"]) != pred or int(row["pred_norm"]) != norm:
                differ.append(f"{task}[{i}]: gold {row['gold']}/{gold} pred {row['pred']}/{pred} "
                              f"pred_norm {row['pred_norm']}/{norm} (actpat/transformers; ll {ll})")
    print(json.dumps({"torch": torch.__version__, "transformers": transformers.__version__, "items": compared,
                      "correct": correct, "differing": differ[:10]}, indent=2))
    if compared == 0:
        sys.exit("FAIL: no item of eval_items.csv matched boolq or piqa")
    if differ:
        sys.exit(f"FAIL: {len(differ)} of {compared} items differ")


if __name__ == "__main__":
    main()
