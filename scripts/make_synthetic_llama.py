#!/usr/bin/python3
"""Write a seeded random Llama checkpoint of any shape (for benchmarks).

    /usr/bin/python3 scripts/make_synthetic_llama.py --preset stories110M -o /tmp/s110m
    /usr/bin/python3 scripts/make_synthetic_llama.py --preset stories110M --format llama2c -o /tmp/s110m.bin
    /usr/bin/python3 scripts/make_synthetic_llama.py --dim 4096 --hidden 14336 --layers 32 \
        --heads 32 --kv-heads 8 --vocab 32000 --seq 4096 --dtype bf16 -o /tmp/llama8b-shape

--format hf (default) writes a Hugging Face LlamaForCausalLM directory:
config.json, generation_config.json, model.safetensors, tokenizer_config.json
and tokenizer.model (copied from ../shared when the vocabulary is 32000 or
512; other sizes get no tokenizer). --format llama2c writes one llama2.c
`run.c` checkpoint (legacy version 0: 7 x int32 header, f32 weights, the two
freq_cis blocks, negative vocab = unshared classifier).

Both formats hold the same model for the same seed: every tensor is drawn
from its own generator seeded by (seed, crc32(HF name)), and the llama2c
writer undoes the HF q/k row permutation (HF checkpoints use rotate-half
RoPE, run.c rotates interleaved pairs), so attn should give the same logits
from either file. Tensors are generated and written one at a time, so memory
use stays small whatever the shape.

Only numpy is needed. The safetensors helpers here are also used by
tests/fixtures/gen_llama_fixtures.py.
"""

import argparse
import json
import shutil
import struct
import sys
import zlib
from pathlib import Path

import numpy as np

SHARED = Path(__file__).resolve().parents[2] / "shared"
TOKENIZERS = {
    32000: SHARED / "tokenizers/llama2/tokenizer.model",
    512: SHARED / "models/stories260K/tok512.model",
}
PRESETS = {
    "stories110M": dict(dim=768, hidden=2048, layers=12, heads=12, kv_heads=12, vocab=32000, seq=1024),
}
# storage dtype name -> (safetensors dtype, config torch_dtype)
DTYPES = {"f32": ("F32", "float32"), "f16": ("F16", "float16"), "bf16": ("BF16", "bfloat16")}
ITEMSIZE = {"F32": 4, "F16": 2, "BF16": 2}


# ---------------------------------------------------------------- safetensors

def to_bf16_bits(x):
    """float32 array -> uint16 bfloat16 bit patterns, round to nearest even."""
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32)
    return ((u + (((u >> 16) & 1) + 0x7FFF)) >> 16).astype(np.uint16)


def from_bf16_bits(b):
    """uint16 bfloat16 bit patterns -> float32 (exact)."""
    return (b.astype(np.uint32) << 16).view(np.float32)


def to_storage(x, st_dtype):
    """float32 array -> the numpy array whose bytes are stored for st_dtype."""
    if st_dtype == "F32":
        return np.ascontiguousarray(x, dtype=np.float32)
    if st_dtype == "F16":
        return np.ascontiguousarray(x, dtype=np.float16)
    if st_dtype == "BF16":
        return to_bf16_bits(x)
    raise ValueError(f"unsupported safetensors dtype {st_dtype}")


def write_safetensors(path, specs, make, metadata=None):
    """Write a .safetensors file.

    specs: list of (name, st_dtype, shape), in file order.
    make(name) -> numpy array already in storage form (see to_storage);
    called once per tensor, in order, so tensors can be produced lazily.
    Layout per the spec: u64 LE header length, JSON header padded with
    spaces to a multiple of 8, then the tensor bytes back to back.
    """
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    offset = 0
    for name, st_dtype, shape in specs:
        nbytes = ITEMSIZE[st_dtype] * int(np.prod(shape, dtype=np.int64))
        header[name] = {"dtype": st_dtype, "shape": list(shape), "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    blob = json.dumps(header, separators=(",", ":")).encode()
    blob += b" " * (-len(blob) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(blob)))
        f.write(blob)
        for name, st_dtype, shape in specs:
            arr = make(name)
            expected = header[name]
            if list(arr.shape) != expected["shape"] or arr.dtype.itemsize != ITEMSIZE[st_dtype]:
                raise ValueError(f"{name}: produced {arr.dtype}{arr.shape}, header says {st_dtype}{shape}")
            f.write(np.ascontiguousarray(arr).tobytes())
    return offset  # total tensor bytes


# ---------------------------------------------------------------- the model

def hf_tensor_shapes(c):
    """HF LlamaForCausalLM tensor names and shapes, in state_dict order."""
    hd = c.dim // c.heads
    shapes = [("model.embed_tokens.weight", (c.vocab, c.dim))]
    for i in range(c.layers):
        p = f"model.layers.{i}."
        shapes += [
            (p + "self_attn.q_proj.weight", (c.heads * hd, c.dim)),
            (p + "self_attn.k_proj.weight", (c.kv_heads * hd, c.dim)),
            (p + "self_attn.v_proj.weight", (c.kv_heads * hd, c.dim)),
            (p + "self_attn.o_proj.weight", (c.dim, c.heads * hd)),
            (p + "mlp.gate_proj.weight", (c.hidden, c.dim)),
            (p + "mlp.up_proj.weight", (c.hidden, c.dim)),
            (p + "mlp.down_proj.weight", (c.dim, c.hidden)),
            (p + "input_layernorm.weight", (c.dim,)),
            (p + "post_attention_layernorm.weight", (c.dim,)),
        ]
    shapes += [("model.norm.weight", (c.dim,)), ("lm_head.weight", (c.vocab, c.dim))]
    return shapes


def random_tensor(seed, name, shape):
    """float32 weights for one tensor: norms ~ 1 + N(0, 0.02), the rest N(0, 0.02)."""
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    x = rng.standard_normal(shape, dtype=np.float32)
    x *= np.float32(0.02)
    if name.endswith("norm.weight"):
        x += np.float32(1.0)
    return x


def hf_to_interleaved_rope_rows(w, n_heads):
    """Inverse of the HF conversion permute(): rotate-half rows -> run.c's interleaved pairs."""
    rows, cols = w.shape
    return w.reshape(n_heads, 2, rows // n_heads // 2, cols).transpose(0, 2, 1, 3).reshape(rows, cols)


def write_hf(c, out):
    out.mkdir(parents=True, exist_ok=True)
    st_dtype, torch_dtype = DTYPES[c.dtype]
    shapes = dict(hf_tensor_shapes(c))
    specs = [(name, st_dtype, shapes[name]) for name in sorted(shapes)]
    write_safetensors(out / "model.safetensors", specs,
                      lambda name: to_storage(random_tensor(c.seed, name, shapes[name]), st_dtype),
                      metadata={"format": "pt"})
    config = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": c.dim,
        "intermediate_size": c.hidden,
        "num_hidden_layers": c.layers,
        "num_attention_heads": c.heads,
        "num_key_value_heads": c.kv_heads,
        "vocab_size": c.vocab,
        "max_position_embeddings": c.seq,
        "rms_norm_eps": 1e-05,
        "rope_theta": 10000.0,
        "rope_scaling": None,
        "hidden_act": "silu",
        "attention_bias": False,
        "mlp_bias": False,
        "tie_word_embeddings": False,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "initializer_range": 0.02,
        "torch_dtype": torch_dtype,
        "use_cache": True,
    }
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    (out / "generation_config.json").write_text(json.dumps({"bos_token_id": 1, "eos_token_id": 2}, indent=2) + "\n")
    tokenizer = TOKENIZERS.get(c.vocab)
    if tokenizer is None:
        print(f"note: no tokenizer for vocab {c.vocab} (only 32000 and 512 have one); "
              "the directory has none", file=sys.stderr)
        return
    shutil.copyfile(tokenizer, out / "tokenizer.model")
    tokenizer_config = {
        "tokenizer_class": "LlamaTokenizer",
        "bos_token": "<s>",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "add_bos_token": True,
        "add_eos_token": False,
        "model_max_length": c.seq,
    }
    (out / "tokenizer_config.json").write_text(json.dumps(tokenizer_config, indent=2) + "\n")


def write_llama2c(c, out):
    if c.dtype != "f32":
        sys.exit("error: the llama2.c format stores f32 weights only; use --dtype f32")
    out.parent.mkdir(parents=True, exist_ok=True)
    shapes = dict(hf_tensor_shapes(c))
    hd = c.dim // c.heads

    def w(name):
        return random_tensor(c.seed, name, shapes[name])

    def per_layer(suffix, transform=lambda x: x):
        for i in range(c.layers):
            yield transform(w(f"model.layers.{i}.{suffix}"))

    positions = np.arange(c.seq, dtype=np.float64)[:, None]
    inv_freq = 1.0 / 10000.0 ** (np.arange(0, hd, 2, dtype=np.float64) / hd)
    angles = positions * inv_freq[None, :]  # [seq, hd/2]
    with open(out, "wb") as f:
        # negative vocab: the classifier is not shared with the embedding
        f.write(struct.pack("<7i", c.dim, c.hidden, c.layers, c.heads, c.kv_heads, -c.vocab, c.seq))
        blocks = [
            [w("model.embed_tokens.weight")],
            per_layer("input_layernorm.weight"),
            per_layer("self_attn.q_proj.weight", lambda x: hf_to_interleaved_rope_rows(x, c.heads)),
            per_layer("self_attn.k_proj.weight", lambda x: hf_to_interleaved_rope_rows(x, c.kv_heads)),
            per_layer("self_attn.v_proj.weight"),
            per_layer("self_attn.o_proj.weight"),
            per_layer("post_attention_layernorm.weight"),
            per_layer("mlp.gate_proj.weight"),  # w1
            per_layer("mlp.down_proj.weight"),  # w2
            per_layer("mlp.up_proj.weight"),  # w3
            [w("model.norm.weight")],
            [np.cos(angles).astype(np.float32)],  # freq_cis_real (unused by run.c)
            [np.sin(angles).astype(np.float32)],  # freq_cis_imag
            [w("lm_head.weight")],
        ]
        for block in blocks:
            for arr in block:
                f.write(np.ascontiguousarray(arr, dtype=np.float32).tobytes())


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", choices=sorted(PRESETS), help="shape preset; explicit flags override it")
    for flag in ("dim", "hidden", "layers", "heads", "kv-heads", "vocab", "seq"):
        p.add_argument(f"--{flag}", type=int)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--dtype", choices=sorted(DTYPES), default="f32")
    p.add_argument("--format", choices=["hf", "llama2c"], default="hf")
    p.add_argument("-o", "--out", required=True, type=Path,
                   help="output directory (hf) or .bin file (llama2c)")
    c = p.parse_args(argv)
    for key, value in PRESETS.get(c.preset, {}).items():
        if getattr(c, key) is None:
            setattr(c, key, value)
    missing = [k for k in ("dim", "hidden", "layers", "heads", "kv_heads", "vocab", "seq") if getattr(c, k) is None]
    if missing:
        p.error("missing " + ", ".join("--" + m.replace("_", "-") for m in missing) + " (or use --preset)")
    if min(c.dim, c.hidden, c.layers, c.heads, c.kv_heads, c.vocab, c.seq) <= 0:
        p.error("all sizes must be positive")
    if c.dim % c.heads or (c.dim // c.heads) % 2:
        p.error(f"--dim {c.dim} must split into --heads {c.heads} heads of even size")
    if c.heads % c.kv_heads:
        p.error(f"--heads {c.heads} must be a multiple of --kv-heads {c.kv_heads}")
    return c


def main(argv=None):
    c = parse_args(argv)
    (write_hf if c.format == "hf" else write_llama2c)(c, c.out)
    print(f"wrote {c.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
