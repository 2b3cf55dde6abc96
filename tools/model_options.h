// Options every model-using subcommand shares: the model path, a tokenizer
// override, the thread count and the weight type to convert to at load.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "attn/attn.h"
#include "validators.h"

namespace attn::cli {

struct ModelOptions {
  std::string model;
  std::string tokenizer;
  int threads = 0;  // 0: physical cores
  std::string dtype;  // empty: as stored

  void add_to(CLI::App& command, bool with_threads = true) {
    command.add_option("-m,--model", model, "Hugging Face model directory or llama2.c .bin checkpoint")->required();
    command.add_option("--tokenizer", tokenizer, "tokenizer.model / tokenizer directory (needed for llama2.c .bin)");
    if (with_threads) command.add_option("-t,--threads", threads, "threads (default: physical cores)")->check(non_negative());
  }

  void add_dtype_to(CLI::App& command) {
    command.add_option("--dtype", dtype, "convert Linear weights at load: f32, f16, bf16, int8, q4_0, q8_0, q4_k, q4_k_m (llama.cpp's mix of q4_k and q6_k) or q6_k (default: as stored)")
        ->check(weight_type({"f32", "f16", "bf16", "int8", "q4_0", "q8_0", "q4_k", "q4_k_m", "q6_k"}));
  }

  std::shared_ptr<const Model> load() const {
    if (threads > 0) set_num_threads(threads);
    LoadOptions options;
    if (!tokenizer.empty()) options.tokenizer = tokenizer;
    options.q4_k_m = dtype == "q4_k_m";
    if (!dtype.empty()) options.dtype = options.q4_k_m ? DType::Q4_K : parse_weight_type(dtype);
    return Model::load(model, options);
  }
};

}  // namespace attn::cli
