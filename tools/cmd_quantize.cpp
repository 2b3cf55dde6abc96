// attn quantize: write a copy of a model with int8, q4_0, bf16 or f16 Linear weights.
#include <cstdio>

#include "attn/quantize.h"
#include "commands.h"
#include "validators.h"

namespace attn::cli {
namespace {

struct QuantizeArgs {
  std::string input, output, type, tokenizer;
};

void run(const QuantizeArgs& args) {
  QuantizeOptions options;
  options.type = *parse_weight_type(args.type);  // checked by the validator
  if (!args.tokenizer.empty()) options.tokenizer = args.tokenizer;
  quantize_model(args.input, args.output, options);
  std::fprintf(stderr, "wrote %s (%s Linear weights)\n", args.output.c_str(), args.type.c_str());
}

}  // namespace

void add_quantize_command(CLI::App& app) {
  auto args = std::make_shared<QuantizeArgs>();
  CLI::App* cmd = app.add_subcommand("quantize", "Write a copy of a model with int8, q4_0, bf16 or f16 Linear weights");
  cmd->add_option("-m,--model", args->input, "Hugging Face model directory or llama2.c .bin checkpoint")->required();
  cmd->add_option("-o,--output", args->output, "directory to write (created if missing)")->required();
  cmd->add_option("--type", args->type, "int8 (per-output-channel symmetric), q4_0 (ggml's 4-bit blocks of 32), bf16 or f16")
      ->required()->check(weight_type({"int8", "q4_0", "bf16", "f16"}));
  cmd->add_option("--tokenizer", args->tokenizer, "tokenizer.model / tokenizer directory (needed for llama2.c .bin)");
  cmd->callback([args] { run(*args); });
}

}  // namespace attn::cli
