// Llama-family models against independent references: the llama2.c/numpy
// logits shipped in ../shared for stories260K, and float64 torch references
// for the generated fixtures (f16, bf16, sharded, Qwen2, Mistral).
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>

#include <nlohmann/json.hpp>

#include "attn/attn.h"
#include "model_logits.h"
#include "test_support.h"

using namespace attn;
using attn::test::all_logits;
using attn::test::greedy;
using attn::test::incremental_logits;
using attn::test::max_abs_diff;
using attn::test::read_f32;
using attn::test::read_file;
using nlohmann::json;

namespace {

std::vector<TokenId> ids_of(const json& array) { return array.get<std::vector<TokenId>>(); }

// Logits reach ~20 here; 3e-5 is a few float ulps of accumulated rounding.
constexpr float kPathTolerance = 3e-5f;

const std::filesystem::path kStories = attn::test::shared_dir() / "models" / "stories260K";

std::shared_ptr<const Model> load_stories(bool huggingface) {
  if (huggingface) return Model::load(attn::test::shared_dir() / "models" / "stories260K-hf");
  return Model::load(kStories / "stories260K.bin", LoadOptions{kStories / "tok512.model"});
}

}  // namespace

TEST_CASE("stories260K logits match the llama2.c reference, from both checkpoint formats") {
  const json reference = json::parse(read_file(kStories / "reference" / "reference.json"));
  for (bool huggingface : {false, true}) {
    CAPTURE(huggingface);
    const auto model = load_stories(huggingface);
    for (const auto& c : reference["cases"]) {
      CAPTURE(c["text"].get<std::string>());
      const auto ids = ids_of(c["tokens_runc"]);
      CHECK(model->tokenizer().encode(c["text"].get<std::string>()) == ids);
      const auto expected = read_f32(kStories / "reference" / c["logits_file"].get<std::string>());

      const auto full = all_logits(model, ids);
      CHECK(max_abs_diff(full, expected) < 1e-4f);
      // The KV-cached path must agree with one pass over the whole prompt (to
      // float rounding: one token at a time runs our GEMV, a prompt oneDNN's GEMM).
      CHECK(max_abs_diff(incremental_logits(model, ids), full) < kPathTolerance);
      CHECK(greedy(model, ids, 32) == ids_of(c["greedy_continuation_32"]));
    }
  }
}

TEST_CASE("logits do not depend on the thread count") {
  const auto model = load_stories(true);
  const std::vector<TokenId> ids{1, 403, 407, 261, 378, 432, 383, 286};
  set_num_threads(1);
  const auto one = all_logits(model, ids);
  const auto one_step = incremental_logits(model, ids);
  set_num_threads(2);
  const auto two = all_logits(model, ids);
  const auto two_step = incremental_logits(model, ids);
  set_num_threads(0);
  CHECK(max_abs_diff(one, two) == 0.f);
  CHECK(max_abs_diff(one_step, two_step) == 0.f);
}

TEST_CASE("generated fixtures (f16, bf16, sharded, Qwen2, Mistral) match the float64 torch reference") {
  const auto dir = attn::test::fixtures_dir() / "llama";
  const json reference = json::parse(read_file(dir / "reference.json"));
  REQUIRE(reference["fixtures"].size() == 5);
  for (const auto& fixture : reference["fixtures"]) {
    CAPTURE(fixture["name"].get<std::string>());
    const auto model = Model::load(dir / fixture["dir"].get<std::string>());
    CHECK(model->info().architecture == fixture["architecture"].get<std::string>());
    CHECK(model->info().parameters_by_dtype.count(fixture["storage_dtype"].get<std::string>()) == 1);
    for (const auto& c : fixture["cases"]) {
      CAPTURE(c["text"].get<std::string>());
      const auto ids = ids_of(c["input_ids"]);
      CHECK(model->tokenizer().encode(c["text"].get<std::string>()) == ids);
      const auto full = all_logits(model, ids);
      CHECK(max_abs_diff(full, read_f32(dir / c["logits_file"].get<std::string>())) < 1e-4f);
      CHECK(max_abs_diff(incremental_logits(model, ids), full) < kPathTolerance);
      CHECK(greedy(model, ids, 16) == ids_of(c["greedy_continuation_16"]));
    }
  }
}

TEST_CASE("a session truncated and continued equals a fresh one") {
  const auto model = load_stories(true);
  const std::vector<TokenId> ids{1, 403, 407, 261, 378};
  Session session(model);
  session.forward(ids);
  session.truncate(3);
  const std::vector<TokenId> rest{261, 378};
  const auto resumed = session.forward(rest);
  const std::vector<float> resumed_copy(resumed.begin(), resumed.end());
  Session fresh(model);
  const auto expected = fresh.forward(ids);
  CHECK(max_abs_diff(resumed_copy, expected) == 0.f);
  CHECK_THROWS_AS(session.truncate(99), Error);
}

TEST_CASE("the decode loop reuses its planned buffers") {
  const auto model = load_stories(true);
  Session session(model);
  const std::vector<TokenId> prompt{1, 403, 407, 261};
  session.forward(prompt);
  TokenId next = 378;
  session.forward(std::span<const TokenId>(&next, 1));
  const SessionStats after_first_step = session.stats();
  for (int i = 0; i < 50; ++i) session.forward(std::span<const TokenId>(&next, 1));
  const SessionStats after_loop = session.stats();
  CHECK(after_loop.plans == after_first_step.plans);
  CHECK(after_loop.scratch_bytes == after_first_step.scratch_bytes);
  CHECK(after_loop.kv_cache_bytes == after_first_step.kv_cache_bytes);
  // Planned reuse keeps the arena far below one buffer per value.
  CHECK(after_loop.scratch_bytes < 64 * 1024);
}

TEST_CASE("sessions reject what does not fit") {
  const auto model = load_stories(true);
  Session session(model, SessionOptions{8});
  std::vector<TokenId> nine(9, 5);
  CHECK_THROWS_WITH_AS(session.forward(nine), doctest::Contains("context holds 8"), Error);
  const std::vector<TokenId> bad{1, 512};
  CHECK_THROWS_WITH_AS(session.forward(bad), doctest::Contains("outside the model's vocabulary"), Error);
  CHECK_THROWS_AS(Session(model, SessionOptions{100000}), Error);
}
