#!/usr/bin/python3
"""Write a random BertForSequenceClassification of all-MiniLM-L6-v2's shape
(F32, 2 labels, bert-base-uncased tokenizer from ../shared) for benchmarks:

    /usr/bin/python3 scripts/make_synthetic_classifier.py -o /tmp/minilm-classifier

The weights come from tests/fixtures/gen_family_fixtures.py's BERT
generator (the MINILM shape its embedding benchmark uses), plus a classifier.
"""

import argparse
import shutil
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.dont_write_bytecode = True
sys.path.insert(0, str(ROOT / "tests/fixtures"))
from gen_family_fixtures import MINILM, SHARED, bert_config, bert_weights, randn, write_json, write_weights  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--out", required=True, help="output directory")
    out = Path(parser.parse_args().out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    gen = torch.Generator().manual_seed(MINILM["seed"] + 1)
    w = {"bert." + k: v for k, v in bert_weights(MINILM, MINILM["seed"]).items()}
    w["classifier.weight"], w["classifier.bias"] = randn(gen, [2, MINILM["hidden_size"]], 1.0), randn(gen, [2], 0.2)
    write_weights(out, w, "F32", max_bytes=float("inf"))
    write_json(out / "config.json", dict(bert_config(MINILM), architectures=["BertForSequenceClassification"],
                                         torch_dtype="float32", id2label={"0": "NEGATIVE", "1": "POSITIVE"},
                                         label2id={"NEGATIVE": 0, "POSITIVE": 1}))
    for name in ("tokenizer.json", "vocab.txt", "tokenizer_config.json"):
        shutil.copyfile(SHARED / "tokenizers/bert-base-uncased" / name, out / name)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
