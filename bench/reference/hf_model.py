"""A Hugging Face checkpoint in transformers, as every reference script here loads it, and its linear weights."""
import torch

# The seven linear weights of a decoder layer, in actpat's order, with the submodule that owns each.
LINEAR_OWNERS = {"q_proj": "self_attn", "k_proj": "self_attn", "v_proj": "self_attn", "o_proj": "self_attn",
                 "gate_proj": "mlp", "up_proj": "mlp", "down_proj": "mlp"}


def load_model(path, dtype=torch.float32):
    """AutoModelForCausalLM in eval mode (Llama, Mistral, Qwen2)."""
    import transformers
    from transformers import AutoModelForCausalLM

    # transformers 5 names the argument `dtype`; 4.x before 4.56 only knows `torch_dtype`.
    major = int(transformers.__version__.split(".")[0])
    kwargs = {"dtype": dtype} if major >= 5 else {"torch_dtype": dtype}
    return AutoModelForCausalLM.from_pretrained(path, **kwargs).eval()


def linear(layer, name):
    """Linear `name` (q_proj, …, down_proj) of a decoder layer module."""
    return getattr(getattr(layer, LINEAR_OWNERS[name]), name)
