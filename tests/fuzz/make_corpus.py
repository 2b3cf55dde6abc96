#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (tests/fuzz/corpus/<target>/) from
the test fixtures and ../shared. Seeds are kept small (a few KB to ~120 KB):
libFuzzer's default maximum input length is the largest seed's.

Run from the checkout: /usr/bin/python3 tests/fuzz/make_corpus.py
"""
import json
import pathlib
import random
import shutil
import struct

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
SHARED = ROOT.parent / "shared"
CORPUS = ROOT / "tests" / "fuzz" / "corpus"


def reset(target):
    path = CORPUS / target
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def copy_seeds(target, files):
    out = reset(target)
    for index, source in enumerate(files):
        shutil.copyfile(source, out / f"{index:02d}-{source.parent.name}-{source.name}")


def small_tokenizer_json(path, keep=320):
    """A fixture's tokenizer.json with the same pipeline but only its first
    `keep` vocabulary entries (and the added and special tokens), renumbered
    from 0, and the merges between kept pieces: a few KB instead of up to
    85, so that the target runs hundreds of times faster."""
    t = json.loads(path.read_text(encoding="utf-8"))
    model = t["model"]
    unigram = model["type"] == "Unigram"
    pieces = {piece: i for i, (piece, _) in enumerate(model["vocab"])} if unigram else model["vocab"]
    wanted = {i for i in pieces.values() if i < keep} | {a["id"] for a in t.get("added_tokens") or []}

    def referenced(node):
        if isinstance(node, dict):
            if node.get("type") in ("RobertaProcessing", "BertProcessing"):
                wanted.update((node["sep"][1], node["cls"][1]))
            for value in node.values():
                referenced(value)
            for special in (node.get("special_tokens") or {}).values() if node.get("type") == "TemplateProcessing" else ():
                wanted.update(special["ids"])
        elif isinstance(node, list):
            for value in node:
                referenced(value)
    referenced(t.get("post_processor"))
    new_id = {old: new for new, old in enumerate(sorted(wanted))}

    if unigram:
        model["vocab"] = [entry for i, entry in enumerate(model["vocab"]) if i in new_id]
        if model.get("unk_id") is not None:
            model["unk_id"] = new_id[model["unk_id"]]
    else:
        model["vocab"] = {piece: new_id[i] for piece, i in pieces.items() if i in new_id}
    if model.get("merges"):
        prefix = model.get("continuing_subword_prefix") or ""
        kept = []
        for merge in model["merges"]:
            a, b = merge.split(" ", 1) if isinstance(merge, str) else merge
            joined = a + (b[len(prefix):] if prefix and b.startswith(prefix) else b)
            if all(x in model["vocab"] for x in (a, b, joined)):
                kept.append(merge)
        model["merges"] = kept
    for added in t.get("added_tokens") or []:
        added["id"] = new_id[added["id"]]

    def renumber(node):
        if isinstance(node, dict):
            if node.get("type") in ("RobertaProcessing", "BertProcessing"):
                node["sep"][1], node["cls"][1] = new_id[node["sep"][1]], new_id[node["cls"][1]]
            if node.get("type") == "TemplateProcessing":
                for special in (node.get("special_tokens") or {}).values():
                    special["ids"] = [new_id[i] for i in special["ids"]]
            for value in node.values():
                renumber(value)
        elif isinstance(node, list):
            for value in node:
                renumber(value)
    renumber(t.get("post_processor"))
    return json.dumps(t, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def safetensors_subset(path, keep=3):
    """The `keep` smallest tensors of a fixture, rewritten as their own file."""
    data = path.read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    header.pop("__metadata__", None)
    names = sorted(header, key=lambda n: header[n]["data_offsets"][1] - header[n]["data_offsets"][0])[:keep]
    body, entries, offset = b"", {"__metadata__": {"format": "pt"}}, 0
    for name in names:
        begin, end = header[name]["data_offsets"]
        chunk = data[8 + length + begin:8 + length + end]
        entries[name] = {"dtype": header[name]["dtype"], "shape": header[name]["shape"],
                         "data_offsets": [offset, offset + len(chunk)]}
        body += chunk
        offset += len(chunk)
    text = json.dumps(entries).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + body


def llama2c_checkpoint(dim, hidden, layers, heads, kv_heads, vocab, seq_len, shared=True):
    """A tiny legacy (version 0) llama2.c checkpoint with random weights."""
    rng = random.Random(dim * 1000 + layers)
    head = dim // heads
    kv_dim = kv_heads * head
    counts = [vocab * dim, layers * dim, layers * dim * dim, layers * kv_dim * dim, layers * kv_dim * dim,
              layers * dim * dim, layers * dim, layers * hidden * dim, layers * dim * hidden, layers * hidden * dim,
              dim, seq_len * head // 2, seq_len * head // 2]
    if not shared:
        counts.append(vocab * dim)
    values = [rng.uniform(-0.1, 0.1) for _ in range(sum(counts))]
    header = struct.pack("<7i", dim, hidden, layers, heads, kv_heads, vocab if shared else -vocab, seq_len)
    return header + struct.pack(f"<{len(values)}f", *values)


JSON_TOKENS = ["{", "}", "[", "]", ":", ",", '"', "null", "true", "false", "0", "-1", "1e5360", "-0", "1.5",
               "4294967297", "9223372036854775808", "18446744073709551616", "5.17e20", '"\\u0000"', '"\\ud800"']


def write_dict(name, keys):
    """A libFuzzer dictionary: JSON syntax, awkward numbers and the keys the
    code reads (quoted, as they appear in files)."""
    entries = JSON_TOKENS + [f'"{key}"' for key in keys]
    lines = ["kw%d=\"%s\"" % (i, e.replace("\\", "\\\\").replace('"', '\\"')) for i, e in enumerate(entries)]
    (ROOT / "tests" / "fuzz" / f"{name}.dict").write_text("\n".join(lines) + "\n")


def config_keys():
    keys = set()
    for path in list(FIXTURES.glob("llama/*/config.json")) + list(FIXTURES.glob("family/*/config.json")):
        keys.update(json.loads(path.read_text()).keys())
    return sorted(keys) + ["generation", "rope_scaling", "quantization", "quant_method", "attn-int8"]


def tokenizer_keys():
    keys, values = set(), set()
    def walk(value):
        if isinstance(value, dict):
            for key, item in value.items():
                keys.add(key)
                if key == "type" and isinstance(item, str):
                    values.add(item)
                if key not in ("vocab", "merges"):  # the vocabulary's tokens are not syntax
                    walk(item)
        elif isinstance(value, list) and len(value) < 64:
            for item in value:
                walk(item)
    for path in FIXTURES.glob("tokenizers/*/tokenizer.json"):
        walk(json.loads(path.read_text(encoding="utf-8")))
    return sorted(keys | values)


def gguf_seeds():
    """Tiny GGUF models (llama with a SentencePiece vocabulary, GPT-2 with a
    byte-level BPE one) and a file of every metadata type, from the fixtures' writer."""
    import sys
    import numpy as np
    sys.path.insert(0, str(FIXTURES / "gguf"))
    import gguf_writer as g
    rng = np.random.default_rng(7)
    out = reset("gguf")

    llama = g.GgufWriter()
    llama.add("general.architecture", "llama")
    for key, value in [("embedding_length", 8), ("block_count", 1), ("feed_forward_length", 12),
                       ("attention.head_count", 2), ("attention.head_count_kv", 1), ("context_length", 16)]:
        llama.add("llama." + key, value, g.UINT32)
    llama.add("llama.attention.layer_norm_rms_epsilon", 1e-5, g.FLOAT32)
    pieces = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)] + ["\u2581", "a", "\u2581a"]
    llama.add("tokenizer.ggml.model", "llama")
    llama.add("tokenizer.ggml.tokens", pieces, g.ARRAY, g.STRING)
    llama.add("tokenizer.ggml.scores", [0.0] * 259 + [-1.0, -2.0, -3.0], g.ARRAY, g.FLOAT32)
    llama.add("tokenizer.ggml.token_type", [2, 3, 3] + [6] * 256 + [1, 1, 1], g.ARRAY, g.INT32)
    for key, value in [("unknown_token_id", 0), ("bos_token_id", 1), ("eos_token_id", 2)]:
        llama.add("tokenizer.ggml." + key, value, g.UINT32)
    vocab = len(pieces)
    shapes = {"token_embd.weight": (vocab, 8), "output_norm.weight": (8,), "blk.0.attn_norm.weight": (8,),
              "blk.0.attn_q.weight": (8, 8), "blk.0.attn_k.weight": (4, 8), "blk.0.attn_v.weight": (4, 8),
              "blk.0.attn_output.weight": (8, 8), "blk.0.ffn_norm.weight": (8,), "blk.0.ffn_gate.weight": (12, 8),
              "blk.0.ffn_up.weight": (12, 8), "blk.0.ffn_down.weight": (8, 12)}
    for name, shape in shapes.items():
        llama.add_tensor(name, rng.standard_normal(shape).astype(np.float32) * 0.1, g.F32 if len(shape) == 1 else g.F16)
    llama.write(out / "llama-spm-f16.gguf")

    gpt2 = g.GgufWriter()
    gpt2.add("general.architecture", "gpt2")
    for key, value in [("embedding_length", 8), ("block_count", 1), ("feed_forward_length", 16),
                       ("attention.head_count", 2), ("context_length", 8)]:
        gpt2.add("gpt2." + key, value, g.UINT32)
    tokens = ["H", "e", "l", "o", "\u0120", "w", "r", "d", "He", "ll", "llo", "<|endoftext|>"]
    gpt2.add("tokenizer.ggml.model", "gpt2")
    gpt2.add("tokenizer.ggml.pre", "llama-bpe")
    gpt2.add("tokenizer.ggml.tokens", tokens, g.ARRAY, g.STRING)
    gpt2.add("tokenizer.ggml.token_type", [1] * 11 + [3], g.ARRAY, g.INT32)
    gpt2.add("tokenizer.ggml.merges", ["H e", "l l", "ll o"], g.ARRAY, g.STRING)
    gpt2.add("tokenizer.ggml.eos_token_id", 11, g.UINT32)
    gpt2.add("tokenizer.chat_template", "{% for m in messages %}{{ m.content }}{% endfor %}")
    shapes = {"token_embd.weight": (12, 8), "position_embd.weight": (8, 8), "output_norm.weight": (8,),
              "output_norm.bias": (8,), "blk.0.attn_norm.weight": (8,), "blk.0.attn_norm.bias": (8,),
              "blk.0.attn_qkv.weight": (24, 8), "blk.0.attn_qkv.bias": (24,), "blk.0.attn_output.weight": (8, 8),
              "blk.0.attn_output.bias": (8,), "blk.0.ffn_norm.weight": (8,), "blk.0.ffn_norm.bias": (8,),
              "blk.0.ffn_up.weight": (16, 8), "blk.0.ffn_up.bias": (16,), "blk.0.ffn_down.weight": (8, 16),
              "blk.0.ffn_down.bias": (8,)}
    for name, shape in shapes.items():
        gpt2.add_tensor(name, rng.standard_normal(shape).astype(np.float32) * 0.1)
    gpt2.write(out / "gpt2-bpe-f32.gguf")

    types = g.GgufWriter(version=2)
    types.add("general.alignment", 64, g.UINT32)
    for value_type, value in [(g.UINT8, 1), (g.INT8, -1), (g.UINT16, 2), (g.INT16, -2), (g.UINT32, 3), (g.INT32, -3),
                              (g.FLOAT32, 0.5), (g.BOOL, True), (g.STRING, "text"), (g.UINT64, 4), (g.INT64, -4),
                              (g.FLOAT64, 0.25)]:
        types.add(f"key.{value_type}", value, value_type)
    types.add("key.nested", [[1, 2], [3]], g.ARRAY, g.ARRAY)
    types.write(out / "every-type-v2.gguf")


def main():
    write_dict("safetensors", ["__metadata__", "dtype", "shape", "data_offsets", "F32", "F16", "BF16", "I8", "I32",
                               "I64", "F64", "U8", "4611686018427387904"])
    write_dict("config_json", config_keys())
    write_dict("tokenizer_json", tokenizer_keys())
    out = reset("safetensors")
    for name in ["llama/qwen2", "llama/llama-bf16", "llama/llama-f16", "family/bert", "family/gpt2"]:
        (out / (name.replace("/", "-") + ".safetensors")).write_bytes(
            safetensors_subset(FIXTURES / name / "model.safetensors"))

    copy_seeds("config_json", sorted(FIXTURES.glob("llama/*/config.json")) + sorted(FIXTURES.glob("family/*/config.json")) +
               [SHARED / "models" / "stories260K-hf" / "config.json"])

    out = reset("tokenizer_json")
    for index, source in enumerate(sorted(FIXTURES.glob("tokenizers/*/tokenizer.json"))):
        (out / f"{index:02d}-{source.parent.name}-tokenizer.json").write_bytes(small_tokenizer_json(source))

    out = reset("tokenize")
    texts = []
    for path in sorted(FIXTURES.glob("tokenizers/expected_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines()[:12]:
            record = json.loads(line)
            texts.extend(record[key] for key in ("text", "a", "b") if key in record)
    for index, text in enumerate(sorted(set(texts))[:40]):
        (out / f"{index:02d}.txt").write_text(text, encoding="utf-8")

    copy_seeds("sentencepiece", [SHARED / "models" / "stories260K" / "tok512.model"])

    out = reset("llama2c")
    (out / "dim8-shared.bin").write_bytes(llama2c_checkpoint(8, 16, 1, 2, 2, 512, 8))
    (out / "dim8-gqa-unshared.bin").write_bytes(llama2c_checkpoint(8, 12, 2, 2, 1, 512, 4, shared=False))

    gguf_seeds()

    copy_seeds("onnx", sorted(FIXTURES.glob("onnx/malformed/*.onnx")) +
               [FIXTURES / "onnx" / "exports" / "bert_ort_extended" / "model.onnx",
                FIXTURES / "onnx" / "exports" / "llama_past_opset17" / "model.onnx"])


if __name__ == "__main__":
    main()
