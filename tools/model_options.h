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
    command.add_option("--dtype", dtype, "convert Linear weights at load: f32, f16, bf16, int8 or q4_0 (default: as stored)")
        ->check(weight_type({"f32", "f16", "bf16", "int8", "q4_0"}));
  }

  std::shared_ptr<const Model> load() const {
    if (threads > 0) set_num_threads(threads);
    LoadOptions options;
    if (!tokenizer.empty()) options.tokenizer = tokenizer;
    if (!dtype.empty()) options.dtype = parse_weight_type(dtype);
    return Model::load(model, options);
  }
};

}  // namespace attn::cli
