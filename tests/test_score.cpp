// attn::score_texts and attn::perplexity against independent references:
// log-softmax of the llama2.c stories260K logits, and float64 torch
// re-implementations (tests/fixtures/gen_score_fixtures.py) of per-token
// scoring and of the Hugging Face / llama.cpp perplexity loops.
#include <doctest/doctest.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "attn/attn.h"
#include "test_support.h"

using namespace attn;
using attn::test::read_f32;
using attn::test::read_file;
using nlohmann::json;

namespace {

const std::filesystem::path kStories = attn::test::shared_dir() / "models" / "stories260K";
const std::filesystem::path kScoreFixtures = attn::test::fixtures_dir() / "score";

std::shared_ptr<const Model> load_model(const std::string& name) {
  if (name == "stories260K-hf") return Model::load(attn::test::shared_dir() / "models" / "stories260K-hf");
  if (name == "stories260K.bin") return Model::load(kStories / "stories260K.bin", LoadOptions{kStories / "tok512.model"});
  if (name == "gpt2") return Model::load(attn::test::fixtures_dir() / "family" / "gpt2");
  return Model::load(attn::test::fixtures_dir() / "llama" / name);
}

const json& score_reference() {
  static const json value = json::parse(read_file(kScoreFixtures / "reference.json"));
  return value;
}

std::vector<std::string> corpus_lines() {
  std::vector<std::string> lines;
  for (const auto& c : score_reference()["models"]["stories260K-hf"]["texts"]) lines.push_back(c["text"]);
  return lines;
}

// log-softmax in double of one row of float logits, at `target`.
double log_softmax(const float* row, int vocab, TokenId target) {
  double max = row[0], sum = 0;
  for (int i = 1; i < vocab; ++i) max = std::max<double>(max, row[i]);
  for (int i = 0; i < vocab; ++i) sum += std::exp(row[i] - max);
  return row[target] - max - std::log(sum);
}

ScoreOptions with_token_logprobs(int batch_size) {
  ScoreOptions options;
  options.batch_size = batch_size;
  options.token_logprobs = true;
  return options;
}

}  // namespace

TEST_CASE("per-token log-probabilities match the log-softmax of the stories260K reference logits") {
  const json reference = json::parse(read_file(kStories / "reference" / "reference.json"));
  for (const std::string name : {"stories260K.bin", "stories260K-hf"}) {
    CAPTURE(name);
    Session session(load_model(name));
    std::vector<std::string> texts;
    for (const auto& c : reference["cases"]) texts.push_back(c["text"]);
    const auto scores = score_texts(session, texts, with_token_logprobs(8));
    REQUIRE(scores.size() == texts.size());
    for (size_t k = 0; k < texts.size(); ++k) {
      const auto& c = reference["cases"][k];
      CAPTURE(texts[k]);
      const auto ids = c["tokens_runc"].get<std::vector<TokenId>>();
      const auto logits = read_f32(kStories / "reference" / c["logits_file"].get<std::string>());
      const int vocab = c["logits_shape"][1];
      REQUIRE(scores[k].ok());
      REQUIRE(scores[k].tokens == static_cast<int>(ids.size()) - 1);  // BOS is context, not scored
      double sum = 0;
      for (size_t t = 1; t < ids.size(); ++t) {
        const double expected = log_softmax(logits.data() + (t - 1) * vocab, vocab, ids[t]);
        CHECK(std::fabs(scores[k].token_logprobs[t - 1] - expected) < 1e-4);
        sum += expected;
      }
      CHECK(scores[k].logprob == doctest::Approx(sum).epsilon(1e-5));
      CHECK(scores[k].nll() == doctest::Approx(-sum / scores[k].tokens).epsilon(1e-5));
      CHECK(scores[k].ppl() == doctest::Approx(std::exp(-sum / scores[k].tokens)).epsilon(1e-5));
    }
  }
}

TEST_CASE("per-token log-probabilities match the float64 torch reference (trained model and multi-query fixture)") {
  for (const auto& [name, model_reference] : score_reference()["models"].items()) {
    CAPTURE(name);
    Session session(load_model(name));
    const auto scores = score_texts(session, corpus_lines(), with_token_logprobs(4));
    const auto& texts = model_reference["texts"];
    REQUIRE(scores.size() == texts.size());
    for (size_t k = 0; k < scores.size(); ++k) {
      const auto expected = texts[k]["token_logprobs"].get<std::vector<double>>();
      REQUIRE(scores[k].token_logprobs.size() == expected.size());
      for (size_t t = 0; t < expected.size(); ++t) CHECK(std::fabs(scores[k].token_logprobs[t] - expected[t]) < 1e-4);
    }
  }
}

TEST_CASE("batched scoring equals one text at a time bit for bit, and a packed step leaves the KV cache alone") {
  std::vector<std::string> texts = corpus_lines();
  texts.insert(texts.begin() + 2, "");                // an error in the middle of a batch
  texts.push_back("A");
  for (const std::string name : {"stories260K-hf", "qwen2", "llama-bf16", "gpt2"}) {
    CAPTURE(name);
    Session session(load_model(name));
    const auto batched = score_texts(session, texts, with_token_logprobs(5));
    std::vector<TextScore> single;
    for (const std::string& text : texts) single.push_back(score_texts(session, std::span(&text, 1), with_token_logprobs(1))[0]);
    for (size_t k = 0; k < texts.size(); ++k) {
      CAPTURE(k);
      REQUIRE(batched[k].error == single[k].error);
      REQUIRE(batched[k].token_logprobs.size() == single[k].token_logprobs.size());
      for (size_t t = 0; t < single[k].token_logprobs.size(); ++t) {
        CHECK(batched[k].token_logprobs[t] == single[k].token_logprobs[t]);
      }
      CHECK(batched[k].logprob == single[k].logprob);
    }
    CHECK_FALSE(batched[2].ok());
  }

  // Generation state survives scoring in the same session.
  const auto model = load_model("stories260K-hf");
  const std::vector<TokenId> prompt{1, 403, 407, 261};
  Session fresh(model), interrupted(model);
  const auto expected = fresh.forward(prompt);
  interrupted.forward(std::span(prompt).first(2));
  score_texts(interrupted, corpus_lines());
  const auto resumed = interrupted.forward(std::span(prompt).subspan(2));
  CHECK(interrupted.position() == 4);
  CHECK(attn::test::max_abs_diff(resumed, expected) < 3e-5f);
}

TEST_CASE("texts that cannot be scored get an error; --truncate keeps the first context tokens") {
  Session session(load_model("stories260K-hf"), SessionOptions{16});
  const std::string long_text = "Once upon a time there was a little girl who liked to play in the park with her dog.";
  const std::vector<std::string> texts{"", "\xff\xfe oops", long_text, "Lily"};
  const auto scores = score_texts(session, texts);
  CHECK(scores[0].error.find("empty") != std::string::npos);
  CHECK(scores[1].error.find("UTF-8") != std::string::npos);
  CHECK(scores[2].error.find("context holds 16") != std::string::npos);
  CHECK(scores[3].ok());
  CHECK(scores[3].tokens >= 1);

  ScoreOptions truncate;
  truncate.truncate = true;
  const auto truncated = score_texts(session, std::span(&long_text, 1), truncate)[0];
  REQUIRE(truncated.ok());
  CHECK(truncated.tokens == 15);
  CHECK(truncated.truncated_tokens == static_cast<int>(session.model().tokenizer().encode(long_text).size()) - 16);

  Session encoder(Model::load(attn::test::fixtures_dir() / "family" / "bert"));
  CHECK_THROWS_WITH_AS(score_texts(encoder, texts), doctest::Contains("encoder"), Error);
}

TEST_CASE("perplexity matches the Hugging Face guide's and llama.cpp's loops, re-implemented in float64 torch") {
  const std::string corpus = read_file(kScoreFixtures / "corpus.txt");
  for (const auto& [name, model_reference] : score_reference()["models"].items()) {
    CAPTURE(name);
    Session session(load_model(name));
    const auto stream = session.model().tokenizer().encode(corpus);
    REQUIRE(static_cast<int>(stream.size()) == score_reference()["stream_tokens"].get<int>());
    for (const auto& run : model_reference["perplexity"]) {
      CAPTURE(run.dump());
      PerplexityOptions options;
      options.context = run["ctx"];
      options.stride = run["stride"];
      options.method = run["method"] == "hf" ? PerplexityMethod::SlidingWindow : PerplexityMethod::SecondHalf;
      options.batch_size = 3;
      const PerplexityResult result = perplexity(session, stream, options);
      CHECK(result.tokens == run["tokens"].get<int64_t>());
      CHECK(result.chunks == run["chunks"].get<int>());
      CHECK(std::fabs(result.nll_sum - run["nll_sum"].get<double>()) < 1e-4 * result.tokens);
      CHECK(result.ppl() == doctest::Approx(run["ppl"].get<double>()).epsilon(1e-4));
    }
  }
}

TEST_CASE("perplexity rejects windows that cannot work") {
  Session session(load_model("stories260K-hf"));
  const std::vector<TokenId> stream{1, 403, 407, 261, 378};
  PerplexityOptions options;
  options.context = 1;
  CHECK_THROWS_WITH_AS(perplexity(session, stream, options), doctest::Contains("window"), Error);
  options.context = 4;
  options.stride = 5;
  CHECK_THROWS_WITH_AS(perplexity(session, stream, options), doctest::Contains("stride"), Error);
  options.context = 8;
  options.stride = 0;
  options.method = PerplexityMethod::SecondHalf;
  CHECK_THROWS_WITH_AS(perplexity(session, stream, options), doctest::Contains("too short"), Error);
}
