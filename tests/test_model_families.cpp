// Llama 3, Qwen3, Gemma 2/3, Phi-3, Mixtral and Qwen3-MoE against float64
// torch re-implementations of their Hugging Face forward passes
// (tests/fixtures/gen_model_families.py), and the RoPE scaling tables
// against two derivations of modeling_rope_utils.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "attn/attn.h"
#include "attn/machine.h"
#include "attn/score.h"
#include "models/config_reader.h"
#include "models/rope_scaling.h"
#include "model_logits.h"
#include "test_support.h"

using namespace attn;
using attn::test::all_logits;
using attn::test::columns;
using attn::test::greedy;
using attn::test::incremental_logits;
using attn::test::max_abs_diff;
using attn::test::read_f32;
using attn::test::read_file;
using nlohmann::json;

namespace {

const std::filesystem::path kDir = attn::test::fixtures_dir() / "families";

const json& reference() {
  static const json r = json::parse(read_file(kDir / "reference.json"));
  return r;
}

std::vector<TokenId> ids_of(const json& array) { return array.get<std::vector<TokenId>>(); }

// LongRoPE switches tables with the sequence length, as transformers does per
// forward pass: one token at a time past the original context is not one
// pass over the prompt (in either).
bool switches_long_rope(const json& fixture, const std::vector<TokenId>& ids) {
  return fixture["long_rope_after"].is_number() && ids.size() > fixture["long_rope_after"].get<size_t>();
}

std::vector<TokenId> sorted(std::vector<TokenId> ids) {
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace

TEST_CASE("each architecture's logits, greedy ids and scores match the float64 reference") {
  for (const auto& [name, fixture] : reference()["fixtures"].items()) {
    CAPTURE(name);
    const auto model = Model::load(kDir / fixture["dir"].get<std::string>());
    CHECK(model->info().architecture == fixture["architecture"].get<std::string>());
    CHECK(sorted(model->info().eos_ids) == ids_of(fixture["eos_ids"]));
    const auto logit_ids = fixture["logit_ids"].get<std::vector<int>>();
    const int64_t vocab = model->info().vocab_size;
    std::vector<std::string> texts;
    std::vector<double> logprobs;
    for (const auto& c : fixture["cases"]) {
      CAPTURE(c["text"].get<std::string>());
      const auto ids = ids_of(c["ids"]);
      CHECK(model->tokenizer().encode(c["text"].get<std::string>()) == ids);
      const auto full = all_logits(model, ids);
      CHECK(max_abs_diff(columns(full, vocab, logit_ids), read_f32(kDir / c["logits_file"].get<std::string>())) <
            1e-4f);
      if (!switches_long_rope(fixture, ids)) CHECK(max_abs_diff(incremental_logits(model, ids), full) < 3e-5f);
      CHECK(greedy(model, ids, static_cast<int>(c["greedy"].size())) == ids_of(c["greedy"]));
      texts.push_back(c["text"].get<std::string>());
      logprobs.push_back(c["logprob"].get<double>());
    }
    Session session(model);
    const auto single = score_texts(session, texts, ScoreOptions{.batch_size = 1});
    const auto batched = score_texts(session, texts, ScoreOptions{.batch_size = 8});
    for (size_t i = 0; i < texts.size(); ++i) {
      // Each scored token: a logit within 1e-4 less a log-sum-exp over the vocabulary.
      CHECK(std::abs(single[i].logprob - logprobs[i]) < 3e-4 * single[i].tokens);
      CHECK(std::abs(batched[i].logprob - single[i].logprob) < 1e-4);
    }
  }
}

TEST_CASE("converted weights (--dtype f16, bf16, int8) keep each architecture running and close") {
  for (const auto& [name, fixture] : reference()["fixtures"].items()) {
    CAPTURE(name);
    const auto reference_model = Model::load(kDir / fixture["dir"].get<std::string>());
    for (const DType dtype : {DType::F16, DType::BF16, DType::I8}) {
      CAPTURE(dtype_name(dtype));
      const auto ids = ids_of(fixture["cases"][0]["ids"]);
      const auto exact = all_logits(reference_model, ids);
      LoadOptions options;
      options.dtype = dtype;
      const auto model = Model::load(kDir / fixture["dir"].get<std::string>(), options);
      const auto logits = all_logits(model, ids);
      CHECK(std::all_of(logits.begin(), logits.end(), [](float v) { return std::isfinite(v); }));
      // Weight rounding moves logits of order 1-10 by a few percent at most.
      CHECK(max_abs_diff(logits, exact) < 0.5f);
      if (!switches_long_rope(fixture, ids)) CHECK(max_abs_diff(incremental_logits(model, ids), logits) < 1e-3f);
    }
  }
}

TEST_CASE("RoPE tables for every rope_type match modeling_rope_utils") {
  for (const auto& table : reference()["rope_tables"]) {
    CAPTURE(table["name"].get<std::string>());
    const json& config = table["config"];
    const ConfigReader reader(config, "config.json");
    const RopeFrequencies f = rope_frequencies(reader, table["head_dim"].get<int>(), config["rope_theta"].get<double>());
    const int seq_len = table["seq_len"].get<int>();
    const bool long_factors = !f.long_inv_freq.empty() && seq_len > f.long_after;
    const auto& got = long_factors ? f.long_inv_freq : f.inv_freq;
    const auto expected = table["inv_freq"].get<std::vector<double>>();
    REQUIRE(got.size() == expected.size());
    CHECK(f.rotary_dim == 2 * static_cast<int>(expected.size()));
    for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(expected[i]).epsilon(1e-12));
    CHECK(f.attention_factor == doctest::Approx(table["attention_factor"].get<double>()).epsilon(1e-12));
  }
}

TEST_CASE("unknown rope types and malformed rope_scaling are refused naming the key") {
  const auto refused = [](json scaling, const char* expected) {
    json config = {{"rope_theta", 10000.0}, {"max_position_embeddings", 64}, {"rope_scaling", scaling}};
    const ConfigReader reader(config, "dir/config.json");
    CHECK_THROWS_WITH_AS(rope_frequencies(reader, 16, 10000.0), doctest::Contains(expected), Error);
  };
  refused({{"rope_type", "su"}}, "rope_scaling.rope_type 'su' is not supported");
  refused({{"rope_type", "linear"}}, "rope_scaling.factor is missing");
  refused({{"rope_type", "llama3"}, {"factor", 8.0}}, "rope_scaling.low_freq_factor is missing");
  refused({{"type", "longrope"}, {"short_factor", {1.0}}, {"long_factor", {1.0}}},
          "rope_scaling.short_factor must be a list of 8 positive numbers");
  refused({{"factor", 2.0}}, "rope_scaling has no rope_type");
  json config = {{"rope_theta", 10000.0}, {"partial_rotary_factor", 0.1}};
  CHECK_THROWS_WITH_AS(rope_frequencies(ConfigReader(config, "config.json"), 16, 10000.0),
                       doctest::Contains("partial_rotary_factor"), Error);
  // Found by fuzz_gguf: a 671088648-wide head took 25 s and 2 GB before the weights refused it.
  CHECK_THROWS_WITH_AS(rope_frequencies(ConfigReader(config, "config.json"), 671088648, 10000.0),
                       doctest::Contains("671088648 dimensions"), Error);
}

TEST_CASE("a mixture of experts reads its router and top_k experts per token, in the stored or converted type") {
  for (const std::string name : {"mixtral", "qwen3_moe"}) {
    CAPTURE(name);
    const std::filesystem::path source = kDir / name;
    const json config = json::parse(read_file(source / "config.json"));
    const bool mixtral = name == "mixtral";
    const int64_t experts = config[mixtral ? "num_local_experts" : "num_experts"].get<int64_t>();
    const int64_t top_k = config["num_experts_per_tok"].get<int64_t>();
    const int64_t hidden = config["hidden_size"].get<int64_t>();
    const int64_t inner = config[mixtral ? "intermediate_size" : "moe_intermediate_size"].get<int64_t>();
    const int64_t sparse_layers = config["num_hidden_layers"].get<int64_t>() -
                                  (mixtral ? 0 : static_cast<int64_t>(config["mlp_only_layers"].size()));
    // The same weights with every expert active.
    attn::test::TempDir all_active;
    for (const auto& entry : std::filesystem::directory_iterator(source)) {
      if (entry.path().filename() != "config.json") std::filesystem::create_symlink(entry.path(), all_active / entry.path().filename());
    }
    json every = config;
    every["num_experts_per_tok"] = experts;
    attn::test::write_file(all_active / "config.json", every.dump());

    // An expert: gate and up [inner, hidden], down [hidden, inner]; int8
    // adds one f32 scale per row.
    const int64_t expert_16_bit = 3 * hidden * inner * 2;
    const int64_t expert_int8 = 3 * hidden * inner + 4 * (2 * inner + hidden);
    for (const auto& [dtype, expert_bytes] : {std::pair{DType::BF16, expert_16_bit}, std::pair{DType::I8, expert_int8}}) {
      CAPTURE(dtype_name(dtype));
      LoadOptions options;
      options.dtype = dtype;
      const double top_k_bytes = forward_cost(*Model::load(source, options), 1).linear_weight_bytes;
      const double every_bytes = forward_cost(*Model::load(all_active.path(), options), 1).linear_weight_bytes;
      CHECK(every_bytes - top_k_bytes == doctest::Approx(sparse_layers * (experts - top_k) * expert_bytes));
    }
  }
}
