"""Where the tests find the CLI and the models; ctest sets ATTN_CLI,
ATTN_SHARED_DIR and ATTN_FIXTURES_DIR (and ATTN_LIBRARY for the package)."""

import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("ATTN_SHARED_DIR", HERE.parents[1] / ".." / "shared"))
FIXTURES = Path(os.environ.get("ATTN_FIXTURES_DIR", HERE.parents[1] / "tests" / "fixtures"))
CLI = os.environ.get("ATTN_CLI", "attn")
STORIES = SHARED / "models" / "stories260K-hf"
STORIES_ONNX = SHARED / "models" / "stories260K-onnx"
BERT = FIXTURES / "family" / "bert"
CLASSIFIER = FIXTURES / "family" / "bert_classifier"
MARIAN = FIXTURES / "translation" / "marian"
