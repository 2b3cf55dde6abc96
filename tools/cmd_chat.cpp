// attn chat: a conversation on the terminal, or one user turn per line of
// piped stdin. Answers stream as they are generated; each turn prefills only
// its new tokens (the cache holds the conversation so far).
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <iostream>

#include "cache_options.h"
#include "commands.h"
#include "generation_options.h"
#include "line_input.h"
#include "model_options.h"

namespace attn::cli {
namespace {

struct ChatArgs {
  ModelOptions model;
  CacheOptions cache;
  GenerationOptions generation;
  std::string system_prompt;
  std::string chat_template;
  bool timings = false;
};

// Ctrl-C while an answer streams stops the answer; at the prompt it ends
// the program as usual.
std::atomic<bool> g_answering{false};
std::atomic<bool> g_cancel{false};

void on_interrupt(int) {
  if (g_answering.load()) {
    g_cancel.store(true);
    return;
  }
  static const char newline = '\n';
  (void)!write(STDOUT_FILENO, &newline, 1);
  _exit(130);
}

void install_interrupt_handler() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // reading the next line resumes after a Ctrl-C
  sigaction(SIGINT, &action, nullptr);
}

void say(const char* text) { std::fprintf(stderr, "%s\n", text); }

void run(ChatArgs& args) {
  args.generation.resolve_seed();
  const auto model = args.model.load();
  Session session(model, args.cache.session(args.generation.context_length));
  Chat chat(session, ChatTemplate::for_model(*model, args.chat_template), args.system_prompt);
  const bool terminal = isatty(STDIN_FILENO);
  install_interrupt_handler();
  GenerateOptions options = args.generation.options;
  options.cancel = &g_cancel;
  if (terminal) say("attn chat: type a message and press Enter; /reset clears the conversation, /exit or Ctrl-D quits, Ctrl-C stops an answer.");
  std::string line;
  int turn = 0;
  while (true) {
    if (terminal) {
      std::fputs("> ", stdout);
      std::fflush(stdout);
    }
    if (!read_line(std::cin, line)) break;
    if (line == "/exit") break;
    if (line == "/reset") {
      chat.reset();
      say("attn: conversation cleared");
      continue;
    }
    if (line.empty()) continue;
    g_cancel.store(false);
    g_answering.store(true);
    ChatReply reply;
    try {
      reply = chat.send(line, options, [](std::string_view piece) {
        std::fwrite(piece.data(), 1, piece.size(), stdout);
        std::fflush(stdout);
      });
    } catch (...) {
      g_answering.store(false);
      throw;
    }
    g_answering.store(false);
    std::fputs("\n", stdout);
    std::fflush(stdout);
    if (args.timings) {
      const GenerateResult& r = reply.result;
      std::fprintf(stderr, "attn: turn %d: prompt %zu tokens, %d reused, %d prefilled in %.1f ms (time to first token), %zu generated at %.1f tok/s\n",
                   ++turn, r.prompt_tokens.size(), r.reused_prompt_tokens, r.timings.prompt_tokens,
                   r.timings.prefill_seconds * 1e3, r.tokens.size(), r.timings.decode_tokens_per_second());
    }
    if (reply.dropped_messages > 0)
      std::fprintf(stderr, "attn: the context is full: dropped the %d oldest messages of the conversation\n",
                   reply.dropped_messages);
    switch (reply.result.stop_reason) {
      case StopReason::Cancelled: say("attn: answer stopped (Ctrl-C)"); break;
      case StopReason::ContextFull: say("attn: the answer filled the context; the next turn drops the oldest messages"); break;
      case StopReason::MaxLength: say("attn: the answer reached -n/--n-predict"); break;
      default: break;
    }
    if (reply.result.tokens.empty() && reply.result.stop_reason == StopReason::Eos)
      say("attn: the model ended its turn at once (empty answer)");
  }
  if (terminal) std::fputs("\n", stdout);
}

}  // namespace

void add_chat_command(CLI::App& app) {
  auto args = std::make_shared<ChatArgs>();
  CLI::App* cmd = app.add_subcommand("chat", "Chat with a model (terminal, or one user message per stdin line)");
  args->model.add_to(*cmd);
  args->cache.add_to(*cmd);
  args->model.add_precision_options_to(*cmd);
  args->generation.add_to(*cmd, false);
  cmd->add_option("--sys,--system", args->system_prompt, "system prompt (llama.cpp's -sys)");
  cmd->add_option("--chat-template", args->chat_template, "a .jinja chat template instead of the model's");
  cmd->add_flag("--timings", args->timings, "after each answer, print its prefill (time to first token) and decode speed");
  cmd->callback([args] { run(*args); });
}

}  // namespace attn::cli
