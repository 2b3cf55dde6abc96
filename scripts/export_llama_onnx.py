#!/usr/bin/python3
"""Export a Hugging Face Llama directory (f32 safetensors, e.g. from
make_synthetic_llama.py) to ONNX with torch.onnx, for comparing attn's ONNX
path with the native path on the same weights:

    /usr/bin/python3 scripts/make_synthetic_llama.py --preset stories110M -o /tmp/s110m
    /usr/bin/python3 scripts/export_llama_onnx.py /tmp/s110m /tmp/s110m-onnx
    build/tools/attn bench -m /tmp/s110m -t 1 && build/tools/attn bench -m /tmp/s110m-onnx -t 1

The module is the Hugging Face forward pass (RMSNorm, rotate-half RoPE, GQA,
SwiGLU) with past_key_values inputs and present outputs, at opset 17; the
config and tokenizer files are copied beside model.onnx. Needs torch and onnx.
"""
import math
import shutil
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests/fixtures"))
from gen_llama_fixtures import load_hf_model  # noqa: E402


class Llama(torch.nn.Module):
    def __init__(self, config, weights):
        super().__init__()
        self.c = config
        for name, tensor in weights.items():
            self.register_buffer(name.replace(".", "_"), tensor.float())

    def w(self, name):
        return getattr(self, name.replace(".", "_"))

    def rms(self, x, name):
        return self.w(name) * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.c.get("rms_norm_eps", 1e-6)))

    def forward(self, input_ids, *past):
        c = self.c
        heads, kv_heads = c["num_attention_heads"], c.get("num_key_value_heads", c["num_attention_heads"])
        d = c["hidden_size"] // heads
        b, s = input_ids.shape
        past_len = past[0].shape[2]
        positions = torch.arange(past_len, past_len + s).float()
        inv_freq = 1.0 / (c.get("rope_theta", 10000.0) ** (torch.arange(0, d, 2).float() / d))
        angles = torch.cat([positions[:, None] * inv_freq[None, :]] * 2, dim=-1)
        cos, sin = angles.cos(), angles.sin()
        rotate = lambda t: torch.cat([-t[..., d // 2:], t[..., :d // 2]], dim=-1)
        mask = torch.ones(s, past_len + s, dtype=torch.bool).tril(diagonal=past_len)
        x = self.w("model.embed_tokens.weight")[input_ids]
        presents = []
        for l in range(c["num_hidden_layers"]):
            p = f"model.layers.{l}."
            h = self.rms(x, p + "input_layernorm.weight")
            q = (h @ self.w(p + "self_attn.q_proj.weight").t()).view(b, s, heads, d).transpose(1, 2)
            k = (h @ self.w(p + "self_attn.k_proj.weight").t()).view(b, s, kv_heads, d).transpose(1, 2)
            v = (h @ self.w(p + "self_attn.v_proj.weight").t()).view(b, s, kv_heads, d).transpose(1, 2)
            q, k = q * cos + rotate(q) * sin, k * cos + rotate(k) * sin
            k, v = torch.cat([past[2 * l], k], dim=2), torch.cat([past[2 * l + 1], v], dim=2)
            presents += [k, v]
            g = heads // kv_heads
            kr = k[:, :, None].expand(b, kv_heads, g, k.shape[2], d).reshape(b, heads, k.shape[2], d)
            vr = v[:, :, None].expand(b, kv_heads, g, v.shape[2], d).reshape(b, heads, v.shape[2], d)
            scores = ((q @ kr.transpose(-1, -2)) / math.sqrt(d)).masked_fill(~mask, torch.finfo(torch.float32).min)
            a = (scores.softmax(-1) @ vr).transpose(1, 2).reshape(b, s, heads * d)
            x = x + a @ self.w(p + "self_attn.o_proj.weight").t()
            h = self.rms(x, p + "post_attention_layernorm.weight")
            gate = torch.nn.functional.silu(h @ self.w(p + "mlp.gate_proj.weight").t())
            x = x + (gate * (h @ self.w(p + "mlp.up_proj.weight").t())) @ self.w(p + "mlp.down_proj.weight").t()
        head = "lm_head.weight" if hasattr(self, "lm_head_weight") else "model.embed_tokens.weight"
        return (self.rms(x, "model.norm.weight") @ self.w(head).t(), *presents)


def main():
    src, out = Path(sys.argv[1]), Path(sys.argv[2])
    config, weights = load_hf_model(src)
    model = Llama(config, weights).eval()
    heads = config["num_attention_heads"]
    kv_heads = config.get("num_key_value_heads", heads)
    d = config["hidden_size"] // heads
    past_names = [f"past_key_values.{l}.{kind}" for l in range(config["num_hidden_layers"]) for kind in ("key", "value")]
    present_names = [n.replace("past_key_values", "present") for n in past_names]
    past = tuple(torch.zeros(1, kv_heads, 2, d) for _ in past_names)
    dynamic = {"input_ids": {1: "sequence"}, "logits": {1: "sequence"}}
    dynamic.update({n: {2: "past_sequence"} for n in past_names})
    dynamic.update({n: {2: "total_sequence"} for n in present_names})
    out.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(model, (torch.tensor([[1, 2, 3]]), *past), out / "model.onnx", opset_version=17,
                          input_names=["input_ids"] + past_names, output_names=["logits"] + present_names,
                          dynamic_axes=dynamic)
    for name in ("config.json", "generation_config.json", "tokenizer.model", "tokenizer.json", "tokenizer_config.json"):
        if (src / name).exists():
            shutil.copy(src / name, out / name)


if __name__ == "__main__":
    main()
