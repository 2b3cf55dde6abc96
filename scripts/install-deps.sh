#!/usr/bin/env bash
# Installs what attn needs to build and test, from Debian/Ubuntu packages.
# Runs apt-get as root (directly, or through sudo when not root).
set -euo pipefail
packages=(
  cmake ninja-build g++ pkg-config
  gcc                    # the C API's C programs (tests, examples)
  libdnnl-dev            # oneDNN: every matrix product
  ocl-icd-opencl-dev     # oneDNN: dnnl-config.cmake asks for OpenCL (only a Recommends of libdnnl-dev)
  libsentencepiece-dev   # tokenizer.model files
  libutf8proc-dev        # Unicode normalisation for tokenizer.json pipelines
  libpcre2-dev           # Unicode-aware regular expressions for pre-tokenizers
  nlohmann-json3-dev     # config.json, tokenizer.json, safetensors headers
  libcli11-dev           # the command line
  doctest-dev            # the tests
  clang                  # the tests: the fuzz targets (libFuzzer is clang's), built in their own tree
  libclang-rt-14-dev     # the tests: clang's libFuzzer, AddressSanitizer and UBSan runtimes
  libomp-14-dev          # the tests: OpenMP for the clang build
  libonnx-testdata       # the tests: ONNX backend node tests
  python3-numpy python3-pytest  # the Python bindings and their tests
  python3-dask python3-distributed  # attn.distributed: batch jobs on a Dask cluster
  python3-venv python3-setuptools python3-wheel  # scripts/test-install.sh: pip install ./python, offline
  libcpp-httplib-dev     # attn serve: the HTTP server
  curl                   # attn serve's tests: the raw server-sent events
)
# attn serve's tests drive it with the npm `openai` client: Node.js and npm,
# Debian's unless the machine has its own (installing Debian's npm over
# another Node.js distribution's would clash with it).
if ! command -v npm >/dev/null; then packages+=(nodejs npm); fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
echo "install-deps: ok"
