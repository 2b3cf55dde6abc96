// Options every model-using subcommand shares: the model path, a tokenizer
// override, the thread count, the weight type to convert to at load and the
// compute type of prefill matmuls.
#pragma once

#include <cstdio>
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
  std::string compute_type = "f32";

  void add_to(CLI::App& command, bool with_threads = true) {
    command.add_option("-m,--model", model, "Hugging Face model directory or llama2.c .bin checkpoint")->required();
    command.add_option("--tokenizer", tokenizer, "tokenizer.model / tokenizer directory (needed for llama2.c .bin)");
    if (with_threads) command.add_option("-t,--threads", threads, "threads (default: physical cores)")->check(non_negative());
  }

  // --dtype and --compute-type: what the Linears store and compute in.
  void add_precision_options_to(CLI::App& command) {
    command.add_option("--dtype", dtype, "convert Linear weights at load: f32, f16, bf16, int8, q4_0, q8_0, q4_k, q4_k_m (llama.cpp's mix of q4_k and q6_k) or q6_k (default: as stored)")
        ->check(weight_type({"f32", "f16", "bf16", "int8", "q4_0", "q8_0", "q4_k", "q4_k_m", "q6_k"}));
    const auto check = CLI::Validator(
        [](std::string& name) -> std::string {
          return parse_compute_type(name) ? "" : "'" + name + "' is not a compute type: must be f32 or bf16";
        },
        "f32|bf16");
    command.add_option("--compute-type", compute_type, "prefill/scoring matmuls of f32, f16 and bf16 weights in f32 (exact) or bf16 (about 2x faster, logits within ~1 % of their range; needs AVX512_BF16, else f32 with a warning)")
        ->default_val("f32")->check(check);
  }

  std::shared_ptr<const Model> load() const {
    if (threads > 0) set_num_threads(threads);
    LoadOptions options;
    if (!tokenizer.empty()) options.tokenizer = tokenizer;
    options.q4_k_m = dtype == "q4_k_m";
    if (!dtype.empty()) options.dtype = options.q4_k_m ? DType::Q4_K : parse_weight_type(dtype);
    options.compute_type = *parse_compute_type(compute_type);  // validated by CLI11
    auto loaded = Model::load(model, options);
    // The library only logs this, and the command shows no log.
    if (loaded->info().compute_type != options.compute_type) {
      std::fprintf(stderr, "warning: --compute-type %s needs AVX512_BF16; computing in %s\n", compute_type.c_str(),
                   compute_type_name(loaded->info().compute_type).data());
    }
    return loaded;
  }
};

}  // namespace attn::cli
