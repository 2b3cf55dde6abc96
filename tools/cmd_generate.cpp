// attn generate: stream a continuation of a prompt to stdout; with --chat,
// -sys or --messages, the answer to a conversation rendered with the model's
// chat template.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cache_options.h"
#include "commands.h"
#include "generation_options.h"
#include "model_options.h"
#include "validators.h"

namespace attn::cli {
namespace {

struct GenerateArgs {
  ModelOptions model;
  CacheOptions cache;
  std::string prompt;
  std::string prompt_file;
  GenerationOptions generation;
  bool json = false;
  bool chat = false;
  std::string system_prompt;
  std::string messages_file;
  std::string chat_template;
  bool temperature_given = false;
  bool beam_settings_given = false;  // --length-penalty, --early-stopping, --no-repeat-ngram-size
};

nlohmann::json result_json(const GenerateResult& result, uint64_t seed, bool beam_search) {
  const auto& t = result.timings;
  nlohmann::json json = {{"text", result.text},
          {"tokens", result.tokens},
          {"prompt_tokens", result.prompt_tokens},
          {"stop_reason", to_string(result.stop_reason)},
          {"seed", seed},
          {"timings",
           {{"prompt_tokens", t.prompt_tokens},
            {"prefill_seconds", t.prefill_seconds},
            {"prefill_tokens_per_second", t.prefill_tokens_per_second()},
            {"decode_tokens", t.decode_steps},
            {"decode_seconds", t.decode_seconds},
            {"decode_tokens_per_second", t.decode_tokens_per_second()}}}};
  if (beam_search) json["score"] = result.score;  // Hugging Face's sequences_scores
  return json;
}

std::string read_all(std::istream& in) {
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// -p TEXT, -p - (stdin) or -f FILE.
std::string read_prompt(const GenerateArgs& args) {
  if (!args.prompt_file.empty()) {
    if (!args.prompt.empty()) throw Error("give the prompt with -p or with -f/--file, not both");
    std::ifstream in(args.prompt_file, std::ios::binary);
    if (!in) throw Error(args.prompt_file + ": cannot read the prompt file");
    return read_all(in);
  }
  if (args.prompt == "-") return read_all(std::cin);
  return args.prompt;
}

// Limits that leave no room for a single new token are an error, reported
// before anything is printed.
void check_budget(const Session& session, std::span<const TokenId> prompt, const GenerateOptions& options) {
  // A prompt the context cannot hold is generate()'s error to report.
  if (generation_budget(session, prompt, options) > 0 || static_cast<int>(prompt.size()) >= session.context_length()) return;
  if (options.max_new_tokens == 0) throw Error("nothing to generate: -n/--n-predict is 0");
  throw Error("nothing to generate: the prompt is " + std::to_string(prompt.size()) + " tokens and --max-length is " +
              std::to_string(options.max_length) + " (it counts the prompt; -n/--n-predict counts new tokens only)");
}

// Zero new tokens is never silent: say why.
void explain_empty(const GenerateResult& result) {
  if (!result.tokens.empty()) return;
  if (result.stop_reason == StopReason::Eos)
    std::fprintf(stderr, "attn: the model ended the text at once (end-of-text token): nothing generated\n");
  if (result.stop_reason == StopReason::StopString)
    std::fprintf(stderr, "attn: the text reached a --stop string at once: nothing generated\n");
}

GenerateResult run_generation(const GenerateArgs& args, Session& session, GenerateOptions options,
                              const TextCallback& print) {
  const bool chat = args.chat || !args.system_prompt.empty() || !args.messages_file.empty() || !args.chat_template.empty();
  if (!chat) {
    const auto ids = tokenize_prompt(session.model().tokenizer(), read_prompt(args));
    check_budget(session, ids, options);
    return generate(session, ids, options, print);
  }
  std::string messages;
  if (!args.messages_file.empty()) {
    if (!args.prompt.empty() || !args.prompt_file.empty() || !args.system_prompt.empty())
      throw Error("--messages holds the whole conversation; do not also give -p, -f or -sys");
    messages = read_messages_json(args.messages_file);
  } else {
    nlohmann::json list = nlohmann::json::array();
    if (!args.system_prompt.empty()) list.push_back({{"role", "system"}, {"content", args.system_prompt}});
    list.push_back({{"role", "user"}, {"content", read_prompt(args)}});
    messages = list.dump();
  }
  const ChatTemplate chat_template = ChatTemplate::for_model(session.model(), args.chat_template);
  const std::string rendered = chat_template.apply_json(messages);
  const auto ids = tokenize_chat_prompt(session.model().tokenizer(), rendered, chat_template);
  const auto stops = end_of_turn_ids(session.model(), chat_template);
  options.stop_tokens.insert(options.stop_tokens.end(), stops.begin(), stops.end());
  options.echo_prompt = false;
  check_budget(session, ids, options);
  return generate(session, ids, options, print);
}

// Beam search picks tokens by score: without --temp it does not sample, and
// its settings mean nothing without it.
void resolve_beam_options(const GenerateArgs& args, GenerateOptions& options) {
  if (options.beam_size > 0 && !args.temperature_given) options.sampling.temperature = 0;
  if (options.beam_size == 0 && args.beam_settings_given) {
    throw Error("--length-penalty, --early-stopping and --no-repeat-ngram-size need --beam-size");
  }
}

void run(GenerateArgs& args) {
  args.generation.resolve_seed();
  resolve_beam_options(args, args.generation.options);
  const auto model = args.model.load();
  Session session(model, args.cache.session(args.generation.context_length));
  TextCallback print;
  if (!args.json) {
    print = [](std::string_view piece) {
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
    };
  }
  const GenerateResult result = run_generation(args, session, args.generation.options, print);
  if (args.json) {
    std::printf("%s\n", result_json(result, *args.generation.seed, args.generation.options.beam_size > 0)
                            .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                            .c_str());
  } else {
    std::printf("\n");
    std::fflush(stdout);
    const auto& t = result.timings;
    std::fprintf(stderr, "attn: prompt %d tokens at %.1f tok/s, generated %zu tokens at %.1f tok/s (%s)\n",
                 t.prompt_tokens, t.prefill_tokens_per_second(), result.tokens.size(),
                 t.decode_tokens_per_second(), to_string(result.stop_reason));
  }
  explain_empty(result);
}

}  // namespace

void add_generate_command(CLI::App& app) {
  auto args = std::make_shared<GenerateArgs>();
  CLI::App* cmd = app.add_subcommand("generate", "Generate text from a prompt (or answer a conversation)");
  args->model.add_to(*cmd);
  args->cache.add_to(*cmd);
  args->model.add_precision_options_to(*cmd);
  cmd->add_option("-p,--prompt", args->prompt, "prompt text; - reads stdin (default: empty, i.e. BOS only)");
  cmd->add_option("-f,--file", args->prompt_file, "read the prompt from a file");
  args->generation.add_to(*cmd, true);
  cmd->add_flag("--chat", args->chat, "treat the prompt as a user's message: answer it with the chat template");
  cmd->add_option("--sys,--system", args->system_prompt, "system prompt (implies --chat; llama.cpp's -sys)");
  cmd->add_option("--messages", args->messages_file, "JSON file of the conversation to answer (OpenAI-style list)");
  cmd->add_option("--chat-template", args->chat_template, "a .jinja chat template instead of the model's");
  GenerateOptions& o = args->generation.options;
  cmd->add_option("--beam-size", o.beam_size, "beam search with N beams, the best printed at the end (implies --temp 0)")
      ->check(number_in(1, 1e6, ">= 1"));
  CLI::Option* beam_settings[] = {
      cmd->add_option("--length-penalty", o.length_penalty, "beam scores divide by length^this (default 1)"),
      cmd->add_option("--early-stopping", o.early_stopping, "beam search: true, false or never (default false)")
          ->check(CLI::IsMember({"true", "false", "never"})),
      cmd->add_option("--no-repeat-ngram-size", o.no_repeat_ngram_size, "beam search never repeats an n-gram of this size")
          ->check(number_in(0, 1e6, ">= 0"))};
  cmd->add_flag("--json", args->json, "print one JSON object at the end instead of streaming (with --beam-size: its score)");
  CLI::Option* temperature = cmd->get_option("--temp");
  cmd->callback([args, temperature, beam_settings] {
    args->temperature_given = temperature->count() > 0;
    args->beam_settings_given = std::any_of(std::begin(beam_settings), std::end(beam_settings),
                                            [](const CLI::Option* option) { return option->count() > 0; });
    run(*args);
  });
}

}  // namespace attn::cli
