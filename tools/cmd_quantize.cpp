// attn quantize: write a copy of a model with int8, ggml block (q4_0, q8_0, q4_k, q4_k_m, q6_k), bf16 or f16 Linear
// weights, as a model directory or a GGUF file.
#include <cstdio>

#include "attn/quantize.h"
#include "commands.h"
#include "validators.h"

namespace attn::cli {
namespace {

struct QuantizeArgs {
  std::string input, output, type, tokenizer, format;
};

void run(const QuantizeArgs& args) {
  QuantizeOptions options;
  // q4_k_m: llama.cpp's mix, Q4_K with Q6_K for some tensors.
  options.q4_k_m = args.type == "q4_k_m";
  options.type = options.q4_k_m ? DType::Q4_K : *parse_weight_type(args.type);  // checked by the validator
  if (!args.tokenizer.empty()) options.tokenizer = args.tokenizer;
  options.gguf = args.format == "gguf";
  quantize_model(args.input, args.output, options);
  std::fprintf(stderr, "wrote %s (%s Linear weights)\n", args.output.c_str(), args.type.c_str());
}

}  // namespace

void add_quantize_command(CLI::App& app) {
  auto args = std::make_shared<QuantizeArgs>();
  CLI::App* cmd = app.add_subcommand("quantize", "Write a copy of a model with int8, q4_0, q8_0, q4_k, q4_k_m, q6_k, bf16 or f16 Linear weights");
  cmd->add_option("-m,--model", args->input, "Hugging Face model directory or llama2.c .bin checkpoint")->required();
  cmd->add_option("-o,--output", args->output, "directory to write (created if missing), or a .gguf file")->required();
  cmd->add_option("--type", args->type, "int8 (per-output-channel symmetric), ggml's q4_0, q8_0 (blocks of 32), q4_k, q6_k "
                 "(super-blocks of 256), q4_k_m (llama.cpp's mix of q4_k and q6_k), bf16 or f16")
      ->required()->check(weight_type({"int8", "q4_0", "q8_0", "q4_k", "q4_k_m", "q6_k", "bf16", "f16"}));
  cmd->add_option("--format", args->format, "safetensors (a model directory, the default) or gguf (one file, as llama.cpp's; "
                 "the default for an output ending in .gguf)")
      ->check(CLI::IsMember({"safetensors", "gguf"}));
  cmd->add_option("--tokenizer", args->tokenizer, "tokenizer.model / tokenizer directory (needed for llama2.c .bin)");
  cmd->callback([args] { run(*args); });
}

}  // namespace attn::cli
