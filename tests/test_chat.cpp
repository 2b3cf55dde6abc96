// Chat: turns on one Session (the cache reused between turns) give the
// answers a fresh run over each turn's whole rendered prompt gives, through
// the library, `attn chat` on a pipe and on a pseudo-terminal, and `attn
// generate --messages`. The model is stories260K with a real chat template
// (DeepSeek V3.1's, from ../shared/chat_templates) and its own special tokens.
#include <doctest/doctest.h>

#include <atomic>

#include <nlohmann/json.hpp>

#include "attn/attn.h"
#include "test_support.h"

using namespace attn;
using namespace attn::test;
using nlohmann::json;

namespace {

const std::filesystem::path kModelDir = shared_dir() / "models" / "stories260K-hf";
const std::filesystem::path kTemplate = shared_dir() / "chat_templates" / "deepseek-ai-DeepSeek-V3.1.jinja";
const std::vector<std::string> kTurns = {"Hi there", "Tell me a story about a cat and a dog"};

std::shared_ptr<const Model> stories() {
  static const auto model = Model::load(kModelDir);
  return model;
}

GenerateOptions greedy(int new_tokens) {
  GenerateOptions options;
  options.sampling.temperature = 0;
  options.max_new_tokens = new_tokens;
  options.max_length = 0;
  return options;
}

// Each turn's answer from a fresh session over the whole rendered conversation.
std::vector<std::string> answers_from_scratch(int new_tokens) {
  const ChatTemplate chat_template = ChatTemplate::from_file(kTemplate, kModelDir);
  std::vector<ChatMessage> messages;
  std::vector<std::string> answers;
  for (const std::string& turn : kTurns) {
    messages.push_back({"user", turn});
    Session fresh(stories());
    const auto prompt = tokenize_chat_prompt(stories()->tokenizer(), chat_template.apply(messages), chat_template);
    GenerateOptions options = greedy(new_tokens);
    options.echo_prompt = false;
    options.stop_tokens = end_of_turn_ids(*stories(), chat_template);
    answers.push_back(generate(fresh, prompt, options).text);
    messages.push_back({"assistant", answers.back()});
  }
  return answers;
}

// A shell word holding any text (quote() is for paths without quotes).
std::string shell_word(const std::string& text) {
  std::string word = "'";
  for (char c : text) word += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return word + "'";
}

std::string chat_command(const std::string& extra) {
  return quote(cli_path()) + " chat -m " + quote(kModelDir) + " --chat-template " + quote(kTemplate) +
         " -n 24 --temp 0 -t 1 " + extra;
}

}  // namespace

TEST_CASE("Chat: each turn prefills only its new tokens and answers as a fresh run does") {
  const auto expected = answers_from_scratch(24);
  Session session(stories());
  Chat chat(session, ChatTemplate::from_file(kTemplate, kModelDir));
  size_t previous_prompt = 0;
  for (size_t i = 0; i < kTurns.size(); ++i) {
    const ChatReply reply = chat.send(kTurns[i], greedy(24));
    CAPTURE(i);
    CHECK(reply.result.text == expected[i]);
    CHECK(reply.dropped_messages == 0);
    // The earlier turns stay in the cache (the whole previous prompt at
    // least): only this turn's tokens are prefilled.
    CHECK(reply.result.reused_prompt_tokens >= static_cast<int>(previous_prompt));
    CHECK(reply.result.timings.prompt_tokens ==
          static_cast<int>(reply.result.prompt_tokens.size()) - reply.result.reused_prompt_tokens);
    previous_prompt = reply.result.prompt_tokens.size();
  }
  CHECK(chat.messages().size() == 4);
  chat.reset();
  CHECK(chat.messages().empty());
  CHECK(session.position() == 0);
}

TEST_CASE("Chat: when the context fills, the oldest turns are dropped") {
  Session session(stories(), SessionOptions{160});
  Chat chat(session, ChatTemplate::from_file(kTemplate, kModelDir), "You tell short stories.");
  int dropped = 0;
  for (int i = 0; i < 8; ++i) dropped += chat.send("Tell me about the dog number " + std::to_string(i), greedy(24)).dropped_messages;
  CHECK(dropped > 0);
  CHECK(chat.messages().front().role == "system");
  CHECK(chat.messages().back().role == "assistant");
  CHECK_THROWS_WITH_AS(chat.send(std::string(2000, 'a'), greedy(8)), doctest::Contains("context"), Error);
}

TEST_CASE("generation stops when cancelled") {
  Session session(stories());
  std::atomic<bool> cancel{true};
  GenerateOptions options = greedy(50);
  options.cancel = &cancel;
  const auto result = generate(session, "Once upon a time", options);
  CHECK(result.stop_reason == StopReason::Cancelled);
  CHECK(result.tokens.empty());
}

TEST_CASE("attn chat on a pipe answers each line as fresh runs do, and generate --messages agrees") {
  const auto expected = answers_from_scratch(24);
  const CommandResult r = run_command(chat_command(""), kTurns[0] + "\n" + kTurns[1] + "\n");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == expected[0] + "\n" + expected[1] + "\n");

  TempDir dir;
  json messages = json::array();
  for (size_t i = 0; i < kTurns.size(); ++i) {
    messages.push_back({{"role", "user"}, {"content", kTurns[i]}});
    write_file(dir / "messages.json", messages.dump());
    const CommandResult g = run_command(quote(cli_path()) + " generate -m " + quote(kModelDir) + " --chat-template " +
                                        quote(kTemplate) + " --messages " + quote(dir / "messages.json") +
                                        " -n 24 --temp 0 -t 1 --json");
    INFO(g.err);
    REQUIRE(g.exit_code == 0);
    CHECK(json::parse(g.out)["text"] == expected[i]);
    messages.push_back({{"role", "assistant"}, {"content", expected[i]}});
  }
  // --chat wraps -p as the user's turn.
  const CommandResult one = run_command(quote(cli_path()) + " generate -m " + quote(kModelDir) + " --chat-template " +
                                        quote(kTemplate) + " --chat -p " + quote(kTurns[0]) + " -n 24 --temp 0 -t 1");
  CHECK(one.out == expected[0] + "\n");
}

TEST_CASE("attn chat: /reset, /exit and blank lines") {
  const auto expected = answers_from_scratch(24);
  const CommandResult r =
      run_command(chat_command(""), kTurns[0] + "\n\n/reset\n" + kTurns[0] + "\n/exit\n" + kTurns[1] + "\n");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  // After /reset the first turn is asked again from nothing; /exit ends before the last line.
  CHECK(r.out == expected[0] + "\n" + expected[0] + "\n");
  CHECK(r.err.find("conversation cleared") != std::string::npos);
}

TEST_CASE("attn chat on a pseudo-terminal gives the same answers") {
  const auto expected = answers_from_scratch(24);
  // script(1) runs the chat on a pseudo-terminal and types its own stdin into it.
  const CommandResult r =
      run_command("timeout 300 script -qfec " + shell_word(chat_command("")) + " /dev/null", kTurns[0] + "\n" + kTurns[1] + "\n");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  std::string screen;
  for (char c : r.out)
    if (c != '\r') screen.push_back(c);
  CHECK(screen.find("> ") != std::string::npos);  // the interactive prompt
  const size_t first = screen.find(expected[0] + "\n");
  REQUIRE(first != std::string::npos);
  CHECK(screen.find(expected[1] + "\n", first + expected[0].size()) != std::string::npos);
}
