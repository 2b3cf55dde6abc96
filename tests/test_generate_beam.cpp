// attn::generate and `attn generate` with beam search (GenerateOptions::
// beam_size, --beam-size) on stories260K against
// tests/fixtures/gen_generate_beam_fixtures.py: a float64 torch
// re-implementation of the Llama forward pass and of Hugging Face's
// generate(num_beams=N, length_penalty, early_stopping, no_repeat_ngram_size)
// from the prompt's ids: generated ids, stop reason and sequence score for
// beam sizes 1, 2, 3 and 4, with and without hypotheses ending (an extra EOS).
#include <doctest/doctest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "attn/attn.h"
#include "test_support.h"

using namespace attn;
using nlohmann::json;

namespace {

const json& reference() {
  static const json r = json::parse(test::read_file(test::fixtures_dir() / "generate_beam" / "reference.json"));
  return r;
}

std::filesystem::path stories_dir() { return test::shared_dir() / "models" / "stories260K-hf"; }

std::shared_ptr<const Model> stories() {
  static const auto model = Model::load(stories_dir());
  return model;
}

// generate()'s options for a reference case and beam setting (generate()'s keyword arguments).
GenerateOptions options_for(const json& c, const json& settings) {
  GenerateOptions options;
  options.sampling.temperature = 0;
  options.max_length = 0;
  options.max_new_tokens = reference()["max_new_tokens"].get<int>();
  options.beam_size = settings["num_beams"].get<int>();
  options.length_penalty = settings.value("length_penalty", 1.f);
  if (settings.contains("early_stopping")) {
    const json& e = settings["early_stopping"];
    options.early_stopping = e.is_boolean() ? (e.get<bool>() ? "true" : "false") : e.get<std::string>();
  }
  options.no_repeat_ngram_size = settings.value("no_repeat_ngram_size", 0);
  for (const TokenId id : c["eos_token_id"].get<std::vector<TokenId>>()) {
    if (id != stories()->tokenizer().eos_id()) options.stop_tokens.push_back(id);
  }
  options.echo_prompt = false;
  return options;
}

// Whether the reference's beam ended: its last id is one of the case's eos ids.
bool finished(const json& c, const json& beam) {
  const auto eos = c["eos_token_id"].get<std::vector<TokenId>>();
  return std::find(eos.begin(), eos.end(), beam["tokens"].back().get<TokenId>()) != eos.end();
}

// The reference's ids without the eos that ended them (attn, as when
// sampling, does not return the eos or stop token).
std::vector<TokenId> generated_ids(const json& c, const json& beam) {
  auto ids = beam["tokens"].get<std::vector<TokenId>>();
  if (finished(c, beam)) ids.pop_back();
  return ids;
}

}  // namespace

TEST_CASE("beam search ids, stop reasons and scores equal Hugging Face's generate(num_beams=N)") {
  Session session(stories());  // reused: each generation starts from what the last one left
  int ended = 0;
  for (const json& c : reference()["cases"]) {
    const auto prompt = c["prompt_ids"].get<std::vector<TokenId>>();
    CHECK(tokenize_prompt(stories()->tokenizer(), c["prompt"].get<std::string>()) == prompt);
    for (const json& beam : c["beam"]) {
      CAPTURE(c["prompt"].get<std::string>());
      CAPTURE(c["eos_token_id"].dump());
      CAPTURE(beam["settings"].dump());
      std::string streamed;
      const GenerateResult result =
          generate(session, prompt, options_for(c, beam["settings"]), [&](std::string_view piece) { streamed += piece; });
      CHECK(result.tokens == generated_ids(c, beam));
      CHECK(result.stop_reason == (finished(c, beam) ? StopReason::Eos : StopReason::MaxLength));
      CHECK(result.score == doctest::Approx(beam["score"].get<double>()).epsilon(1e-4));
      CHECK(result.text == streamed);
      CHECK(result.prompt_tokens == prompt);
      ended += finished(c, beam) ? 1 : 0;
    }
  }
  CHECK(ended > 0);
}

TEST_CASE("one beam is greedy decoding, and the session holds the beam's tokens afterwards") {
  Session beam_session(stories()), greedy_session(stories());
  for (const json& c : reference()["cases"]) {
    if (c["eos_token_id"].size() != 1) continue;
    const auto prompt = c["prompt_ids"].get<std::vector<TokenId>>();
    GenerateOptions options = options_for(c, json{{"num_beams", 1}});
    const GenerateResult beam = generate(beam_session, prompt, options);
    options.beam_size = 0;
    const GenerateResult greedy = generate(greedy_session, prompt, options);
    CHECK(beam.tokens == greedy.tokens);
    CHECK(beam.text == greedy.text);
    std::vector<TokenId> held = prompt;
    held.insert(held.end(), beam.tokens.begin(), beam.tokens.end() - 1);
    CHECK(std::vector<TokenId>(beam_session.tokens().begin(), beam_session.tokens().end()) == held);
  }
}

TEST_CASE("beam search rejects what it cannot honour") {
  Session session(stories());
  GenerateOptions options;
  options.beam_size = 2;
  options.max_new_tokens = 4;
  CHECK_THROWS_WITH_AS(generate(session, "Tom", options), doctest::Contains("--temp 0"), Error);
  options.sampling.temperature = 0;
  options.stop_strings = {"."};
  CHECK_THROWS_WITH_AS(generate(session, "Tom", options), doctest::Contains("does not stop at strings"), Error);
  options.stop_strings.clear();
  options.early_stopping = "sometimes";
  CHECK_THROWS_WITH_AS(generate(session, "Tom", options), doctest::Contains("early_stopping"), Error);
  options.early_stopping = "false";
  options.beam_size = -1;
  CHECK_THROWS_AS(generate(session, "Tom", options), Error);
  options.beam_size = 2;
  CHECK(generate(session, "Tom", options).tokens.size() == 4);
}

TEST_CASE("attn generate --beam-size N --json prints the beam's ids and score; bad combinations fail") {
  const std::string command = test::quote(test::cli_path()) + " generate -m " + test::quote(stories_dir()) + " -n " +
                              std::to_string(reference()["max_new_tokens"].get<int>()) + " -t 1 ";
  for (const json& c : reference()["cases"]) {
    if (c["eos_token_id"].size() != 1) continue;
    for (const json& beam : c["beam"]) {
      const json& settings = beam["settings"];
      std::string flags = "--beam-size " + std::to_string(settings["num_beams"].get<int>());
      if (settings.contains("length_penalty")) flags += " --length-penalty " + settings["length_penalty"].dump();
      if (settings.contains("early_stopping")) {
        flags += " --early-stopping " + (settings["early_stopping"].is_boolean() ? settings["early_stopping"].dump()
                                                                                 : settings["early_stopping"].get<std::string>());
      }
      if (settings.contains("no_repeat_ngram_size")) {
        flags += " --no-repeat-ngram-size " + settings["no_repeat_ngram_size"].dump();
      }
      CAPTURE(flags);
      const auto run = test::run_command(command + flags + " --json -p " + test::quote(c["prompt"].get<std::string>()));
      REQUIRE(run.exit_code == 0);
      const json out = json::parse(run.out);
      CHECK(out["tokens"].get<std::vector<TokenId>>() == generated_ids(c, beam));
      CHECK(out["score"].get<double>() == doctest::Approx(beam["score"].get<double>()).epsilon(1e-4));
    }
  }
  const auto sampled = test::run_command(command + "--beam-size 2 --temp 0.7 -p Tom");
  CHECK(sampled.exit_code != 0);
  CHECK(sampled.err.find("--temp 0") != std::string::npos);
  const auto no_beams = test::run_command(command + "--length-penalty 0.6 -p Tom");
  CHECK(no_beams.exit_code != 0);
  CHECK(no_beams.err.find("need --beam-size") != std::string::npos);
  const auto zero = test::run_command(command + "--beam-size 0 -p Tom");
  CHECK(zero.exit_code != 0);
}
