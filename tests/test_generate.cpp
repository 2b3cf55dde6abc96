// The generation loop through the public API: length limits, stop strings,
// errors, streaming, and many sessions sharing one immutable Model.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "attn/attn.h"
#include "tasks/stop_strings.h"
#include "test_support.h"

using namespace attn;

namespace {

std::shared_ptr<const Model> stories() {
  static const auto model = Model::load(attn::test::shared_dir() / "models" / "stories260K-hf");
  return model;
}

GenerateOptions greedy_options(int max_length) {
  GenerateOptions options;
  options.sampling.temperature = 0;
  options.max_length = max_length;
  return options;
}

std::string reference_text(const std::string& name) {
  return attn::test::read_file(attn::test::shared_dir() / "models" / "stories260K" / "reference" / name);
}

}  // namespace

TEST_CASE("stop strings are cut even when split across pieces") {
  StopStringFilter filter({"Lily", "\n\n"});
  std::string emitted;
  for (const char* piece : {"Once there was L", "i", "ly"}) {
    const auto out = filter.push(piece);
    emitted += out.text;
    if (out.stopped) break;
  }
  CHECK(emitted == "Once there was ");

  StopStringFilter partial({"STOP"});
  CHECK(partial.push("abc ST").text == "abc ");  // "ST" might begin the stop string
  CHECK(partial.push("AR").text == "STAR");      // it did not
  CHECK(partial.push("x S").text == "x ");
  CHECK(partial.flush() == "S");                 // end of generation releases the rest

  StopStringFilter none({});
  CHECK(none.push("anything").text == "anything");
}

TEST_CASE("max_length counts prompt and continuation like llama2.c, and streaming equals the result") {
  auto model = stories();
  Session session(model);
  std::string streamed;
  auto options = greedy_options(64);
  const auto result = generate(session, "Once upon a time", options, [&](std::string_view piece) { streamed += piece; });
  CHECK(result.prompt_tokens.size() == 5);
  CHECK(result.tokens.size() == 64 - 4);
  CHECK(result.stop_reason == StopReason::MaxLength);
  CHECK(streamed + "\n" == reference_text("runc_greedy_n64_Once_upon_a_time.txt"));
  CHECK(streamed == "Once upon a time" + result.text);
  CHECK(result.timings.decode_steps == static_cast<int>(result.tokens.size()) - 1);
}

TEST_CASE("max_new_tokens, stop strings and echo") {
  auto model = stories();
  Session session(model);
  auto options = greedy_options(256);
  options.max_new_tokens = 7;
  options.echo_prompt = false;
  std::string streamed;
  auto result = generate(session, "Once upon a time", options, [&](std::string_view p) { streamed += p; });
  CHECK(result.tokens.size() == 7);
  CHECK(streamed == result.text);
  CHECK(result.text == ", there was a little gir");  // "l" is the 8th token

  session.reset();
  options.max_new_tokens = -1;
  options.stop_strings = {"Lily"};
  result = generate(session, "Once upon a time", options);
  CHECK(result.stop_reason == StopReason::StopString);
  CHECK(result.text == ", there was a little girl named ");
}

TEST_CASE("a session continues its sequence: the cached prefix is reused, the result equals a fresh run") {
  auto model = stories();
  Session session(model);
  auto options = greedy_options(0);
  options.max_new_tokens = 16;
  options.echo_prompt = false;
  const auto first = generate(session, "Once upon a time", options);
  // The session holds the prompt and what was generated (the last sampled
  // token was never run).
  REQUIRE(session.position() == static_cast<int>(first.prompt_tokens.size() + first.tokens.size()) - 1);
  CHECK(std::equal(first.prompt_tokens.begin(), first.prompt_tokens.end(), session.tokens().begin()));

  const std::string follow_up = "Once upon a time" + first.text + " Then they went home.";
  const auto continued = generate(session, follow_up, options);
  Session fresh(model);
  const auto from_scratch = generate(fresh, follow_up, options);
  CHECK(continued.tokens == from_scratch.tokens);
  CHECK(continued.text == from_scratch.text);
  CHECK(continued.prompt_tokens == from_scratch.prompt_tokens);
  CHECK(continued.reused_prompt_tokens >= static_cast<int>(first.prompt_tokens.size()));
  CHECK(continued.timings.prompt_tokens ==
        static_cast<int>(continued.prompt_tokens.size()) - continued.reused_prompt_tokens);
  CHECK(from_scratch.reused_prompt_tokens == 0);

  // The same prompt again: everything but its last token is reused.
  const auto again = generate(session, follow_up, options);
  CHECK(again.reused_prompt_tokens == static_cast<int>(again.prompt_tokens.size()) - 1);
  CHECK(again.tokens == from_scratch.tokens);

  // A different prompt keeps only the common start (BOS).
  const auto other = generate(session, "Lily had a dog", options);
  CHECK(other.reused_prompt_tokens == 1);
  Session fresh_other(model);
  CHECK(other.tokens == generate(fresh_other, "Lily had a dog", options).tokens);
}

TEST_CASE("generation rejects prompts that do not fit and invalid UTF-8") {
  auto model = stories();
  Session small(model, SessionOptions{8});
  CHECK_THROWS_WITH_AS(generate(small, "Once upon a time, there was a little girl", greedy_options(0)),
                       doctest::Contains("context holds 8"), Error);
  Session session(model);
  CHECK_THROWS_WITH_AS(generate(session, std::string("abc\xff", 4), greedy_options(0)),
                       doctest::Contains("UTF-8"), Error);
}

TEST_CASE("generation stops at the context length") {
  auto model = stories();
  Session session(model, SessionOptions{16});
  const auto result = generate(session, "Once upon a time", greedy_options(1000));
  CHECK(result.stop_reason == StopReason::ContextFull);
  CHECK(result.prompt_tokens.size() + result.tokens.size() == 17);  // the last sampled token needs no position
}

TEST_CASE("sessions on several threads share one model and agree with a single one") {
  auto model = stories();
  Session solo(model);
  const auto expected = generate(solo, "Lily and Tom went to the park", greedy_options(128)).text;
  std::vector<std::string> texts(4);
  std::vector<std::thread> workers;
  for (size_t i = 0; i < texts.size(); ++i) {
    workers.emplace_back([&, i] {
      Session session(model);
      texts[i] = generate(session, "Lily and Tom went to the park", greedy_options(128)).text;
    });
  }
  for (auto& w : workers) w.join();
  for (const auto& text : texts) CHECK(text == expected);
}

TEST_CASE("a seeded sampler gives the same text for the same seed") {
  auto model = stories();
  auto sample = [&](uint64_t seed) {
    Session session(model);
    GenerateOptions options;
    options.sampling.temperature = 1.0f;
    options.sampling.seed = seed;
    options.max_length = 64;
    return generate(session, "Once upon a time", options).text;
  };
  CHECK(sample(7) == sample(7));
  CHECK(sample(7) != sample(8));
}

namespace {

TokenId argmax(std::span<const float> row) {
  return static_cast<TokenId>(std::max_element(row.begin(), row.end()) - row.begin());
}

}  // namespace

TEST_CASE("decode_step: sessions decoding together give what each gives alone (f32 and int8 weights)") {
  LoadOptions int8;
  int8.dtype = DType::I8;
  for (const auto& model : {stories(), Model::load(attn::test::shared_dir() / "models" / "stories260K-hf", int8)}) {
    const int vocab = model->info().vocab_size;
    const std::vector<std::string> prompts{"Once upon a time", "Lily and Tom went to the park and saw", "The"};
    std::vector<Session> together, alone;
    std::vector<TokenId> next_together, next_alone;
    for (const std::string& prompt : prompts) {
      const auto ids = model->tokenizer().encode(prompt);
      for (auto* group : {&together, &alone}) {
        group->emplace_back(model);
        const auto logits = group->back().forward(ids);
        (group == &together ? next_together : next_alone).push_back(argmax(logits));
      }
    }
    std::vector<Session*> batch;
    for (Session& s : together) batch.push_back(&s);
    for (int step = 0; step < 40; ++step) {
      const std::vector<float> logits = [&] {
        const auto out = Session::decode_step(batch, next_together);
        return std::vector<float>(out.begin(), out.end());
      }();
      REQUIRE(logits.size() == prompts.size() * vocab);
      for (size_t i = 0; i < prompts.size(); ++i) {
        CAPTURE(step);
        CAPTURE(i);
        const auto single = alone[i].forward(std::span<const TokenId>(&next_alone[i], 1));
        const std::span<const float> row(logits.data() + i * vocab, vocab);
        // Every row goes through the same kernels as a single session's.
        CHECK(attn::test::max_abs_diff(row, single) == 0.f);
        next_together[i] = argmax(row);
        next_alone[i] = argmax(single);
        CHECK(next_together[i] == next_alone[i]);
        CHECK(together[i].position() == alone[i].position());
      }
    }
  }
}

TEST_CASE("decode_step: mismatched tokens, repeated sessions, other models and full contexts are errors") {
  auto model = stories();
  Session a(model), b(model, SessionOptions{1});
  const std::vector<TokenId> two{1, 2}, one{1};
  std::vector<Session*> pair{&a, &b};
  CHECK_THROWS_AS(Session::decode_step(pair, one), Error);
  std::vector<Session*> twice{&a, &a};
  CHECK_THROWS_AS(Session::decode_step(twice, two), Error);
  CHECK(a.position() == 0);
  Session::decode_step(pair, two);  // b is now full
  CHECK_THROWS_AS(Session::decode_step(pair, two), Error);
  auto other = Model::load(attn::test::shared_dir() / "models" / "stories260K-hf");
  Session c(other);
  std::vector<Session*> mixed{&a, &c};
  CHECK_THROWS_AS(Session::decode_step(mixed, two), Error);
}

TEST_CASE("on_token sees every generated token with its text; stopping keeps the tokens so far") {
  auto model = stories();
  Session session(model);
  auto options = greedy_options(64);
  std::vector<TokenId> ids;
  std::string text;
  options.on_token = [&](TokenId id, std::string_view piece) {
    if (id != kNoToken) ids.push_back(id);
    text += piece;
    return true;
  };
  const auto full = generate(session, "Once upon a time", options);
  CHECK(ids == full.tokens);
  CHECK(text == full.text);

  session.reset();
  int seen = 0;
  options.on_token = [&](TokenId id, std::string_view) { return id == kNoToken || ++seen < 6; };
  const auto stopped = generate(session, "Once upon a time", options);
  CHECK(stopped.stop_reason == StopReason::Cancelled);
  REQUIRE(stopped.tokens.size() == 6);
  CHECK(std::equal(stopped.tokens.begin(), stopped.tokens.end(), full.tokens.begin()));
  CHECK(full.text.starts_with(stopped.text));
  CHECK(std::string(to_string(stopped.stop_reason)) == "cancelled");

  std::atomic<bool> stop{false};
  session.reset();
  options.on_token = [&](TokenId, std::string_view) {
    stop.store(true);  // as another thread would; seen before the next token
    return true;
  };
  options.cancel = &stop;
  const auto requested = generate(session, "Once upon a time", options);
  CHECK(requested.stop_reason == StopReason::Cancelled);
  CHECK(requested.tokens == std::vector<TokenId>{full.tokens.front()});
}
