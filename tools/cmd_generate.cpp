// attn generate: stream a continuation of a prompt to stdout.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "model_options.h"
#include "validators.h"

namespace attn::cli {
namespace {

struct GenerateArgs {
  ModelOptions model;
  std::string prompt;
  GenerateOptions options;
  int context_length = 0;
  bool json = false;
};

nlohmann::json result_json(const GenerateResult& result) {
  const auto& t = result.timings;
  return {{"text", result.text},
          {"tokens", result.tokens},
          {"prompt_tokens", result.prompt_tokens},
          {"stop_reason", to_string(result.stop_reason)},
          {"timings",
           {{"prompt_tokens", t.prompt_tokens},
            {"prefill_seconds", t.prefill_seconds},
            {"prefill_tokens_per_second", t.prefill_tokens_per_second()},
            {"decode_tokens", t.decode_steps},
            {"decode_seconds", t.decode_seconds},
            {"decode_tokens_per_second", t.decode_tokens_per_second()}}}};
}

void run(const GenerateArgs& args) {
  const auto model = args.model.load();
  Session session(model, SessionOptions{args.context_length});
  TextCallback print;
  if (!args.json) {
    print = [](std::string_view piece) {
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
    };
  }
  const GenerateResult result = generate(session, args.prompt, args.options, print);
  if (args.json) {
    std::printf("%s\n", result_json(result).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::printf("\n");
    const auto& t = result.timings;
    std::fprintf(stderr, "attn: prompt %d tokens at %.1f tok/s, generated %zu tokens at %.1f tok/s (%s)\n",
                 t.prompt_tokens, t.prefill_tokens_per_second(), result.tokens.size(),
                 t.decode_tokens_per_second(), to_string(result.stop_reason));
  }
}

}  // namespace

void add_generate_command(CLI::App& app) {
  auto args = std::make_shared<GenerateArgs>();
  CLI::App* cmd = app.add_subcommand("generate", "Generate text from a prompt");
  args->model.add_to(*cmd);
  args->model.add_dtype_to(*cmd);
  SamplerConfig& s = args->options.sampling;
  cmd->add_option("-p,--prompt", args->prompt, "prompt text (default: empty, i.e. BOS only)");
  cmd->add_option("-n,--max-length", args->options.max_length,
                  "max tokens of prompt + continuation, BOS not counted (llama2.c -n); 0 = context")
      ->default_val(256)->check(non_negative());
  cmd->add_option("--max-new-tokens", args->options.max_new_tokens, "max generated tokens (-1 = no limit)")
      ->default_val(-1)->check(number_in(-1, 1e9, ">= 0, or -1 for no limit"));
  cmd->add_option("--temperature", s.temperature, "0 = greedy")->default_val(0.8)->check(non_negative());
  cmd->add_option("--top-k", s.top_k, "0 = off")->default_val(40)->check(non_negative());
  cmd->add_option("--top-p", s.top_p, "1 = off")->default_val(0.95)->check(probability());
  cmd->add_option("--min-p", s.min_p, "0 = off")->default_val(0.0)->check(probability());
  cmd->add_option("--repeat-penalty", s.repeat_penalty, "1 = off")->default_val(1.0)->check(positive());
  cmd->add_option("--repeat-last-n", s.repeat_last_n, "tokens the penalty looks back")->default_val(64)
      ->check(non_negative());
  cmd->add_option("--seed", s.seed, "random seed")->default_val(1);
  cmd->add_option("--stop", args->options.stop_strings, "stop before this string (repeatable)");
  cmd->add_option("-c,--ctx-size", args->context_length, "context length (default: the model's)")
      ->check(non_negative());
  cmd->add_flag("--json", args->json, "print one JSON object at the end instead of streaming");
  cmd->callback([args] { run(*args); });
}

}  // namespace attn::cli
