"""Yardstick helper (not product code): a random llama2-7b-shaped checkpoint with N layers written with torch
on the GPU machine (seconds instead of minutes), from the config and tokenizer files of a checkpoint that
`deno task make-checkpoint` wrote. Same layout and init law as make-checkpoint (normal(0, 0.02) float16,
norms 1), not the same values. Usage: python3 bench/reference/random_checkpoint.py TEMPLATE_DIR OUT_DIR N"""
import json, os, shutil, sys, torch
from safetensors.torch import save_file
template, out, layers = sys.argv[1], sys.argv[2], int(sys.argv[3])
tmp = out + ".tmp"; os.makedirs(tmp, exist_ok=True)
for f in os.listdir(template):
    if f not in ("model.safetensors", "actpat_random.json"): shutil.copy(os.path.join(template, f), tmp)
cfg = json.load(open(os.path.join(tmp, "config.json"))); cfg["num_hidden_layers"] = layers
json.dump(cfg, open(os.path.join(tmp, "config.json"), "w"), indent=2)
d, f, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
g = torch.Generator(device="cuda").manual_seed(0)
rn = lambda *s: (torch.randn(*s, generator=g, device="cuda") * 0.02).half().cpu()
t = {"model.embed_tokens.weight": rn(V, d), "lm_head.weight": rn(V, d), "model.norm.weight": torch.ones(d, dtype=torch.half)}
for l in range(layers):
    p = f"model.layers.{l}."
    for m, s in [("self_attn.q_proj", (d, d)), ("self_attn.k_proj", (d, d)), ("self_attn.v_proj", (d, d)), ("self_attn.o_proj", (d, d)),
                 ("mlp.gate_proj", (f, d)), ("mlp.up_proj", (f, d)), ("mlp.down_proj", (d, f))]:
        t[p + m + ".weight"] = rn(*s)
    t[p + "input_layernorm.weight"] = torch.ones(d, dtype=torch.half); t[p + "post_attention_layernorm.weight"] = torch.ones(d, dtype=torch.half)
save_file(t, os.path.join(tmp, "model.safetensors"), metadata={"format": "pt"})
os.rename(tmp, out); print("wrote", out)
