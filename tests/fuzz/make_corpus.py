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

    copy_seeds("tokenizer_json", sorted(FIXTURES.glob("tokenizers/*/tokenizer.json")))

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

    copy_seeds("onnx", sorted(FIXTURES.glob("onnx/malformed/*.onnx")) +
               [FIXTURES / "onnx" / "exports" / "bert_ort_extended" / "model.onnx",
                FIXTURES / "onnx" / "exports" / "llama_past_opset17" / "model.onnx"])


if __name__ == "__main__":
    main()
