// KV cache types on stories260K (../shared): what f16, bf16 and q8_0 caches
// cost in perplexity and greedy agreement against the f32 cache, within the
// bound their rounding justifies; that they shrink the cache; that scoring
// (packed passes) sees the same stored keys and values as decoding through
// the cache; and that results do not depend on the thread count.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "attn/attn.h"
#include "attn/machine.h"
#include "test_support.h"

using namespace attn;

namespace {

const std::filesystem::path kStories = attn::test::shared_dir() / "models" / "stories260K";

std::shared_ptr<const Model> stories() {
  static const auto model = Model::load(kStories / "stories260K.bin", LoadOptions{kStories / "tok512.model"});
  return model;
}

SessionOptions cache_of(CacheType type) { return {.cache_type_k = type, .cache_type_v = type}; }

std::vector<TokenId> text_tokens() {
  const std::string text = attn::test::read_file(attn::test::fixtures_dir() / "score" / "corpus.txt");
  return stories()->tokenizer().encode(text, true);
}

// Mean negative log-likelihood of tokens[1..] given the prefix, decoded
// through the cache (a prefill: every row attends to the stored rows).
double cached_nll(const std::vector<TokenId>& ids, CacheType type) {
  Session session(stories(), cache_of(type));
  const auto logits = session.forward(ids, true);
  const int vocab = stories()->info().vocab_size;
  double nll = 0;
  for (size_t t = 0; t + 1 < ids.size(); ++t) {
    const float* row = logits.data() + t * vocab;
    const float max = *std::max_element(row, row + vocab);
    double sum = 0;
    for (int i = 0; i < vocab; ++i) sum += std::exp(static_cast<double>(row[i]) - max);
    nll -= row[ids[t + 1]] - max - std::log(sum);
  }
  return nll / static_cast<double>(ids.size() - 1);
}

std::vector<TokenId> greedy(CacheType type, int tokens) {
  Session session(stories(), cache_of(type));
  std::vector<TokenId> out = stories()->tokenizer().encode("Once upon a time", true);
  auto logits = session.forward(out);
  for (int i = 0; i < tokens; ++i) {
    const TokenId next = static_cast<TokenId>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    out.push_back(next);
    logits = session.forward(std::span<const TokenId>(&next, 1));
  }
  return out;
}

// The relative rounding of a stored value: half an ulp for the 16-bit
// types; for q8_0 half a step of max/127 plus the f16 rounding of the
// scale (0.5 + 127 * 2^-11), relative to the block's largest value.
double unit_roundoff(CacheType type) {
  switch (type) {
    case CacheType::F32: return 0x1p-24;
    case CacheType::F16: return 0x1p-11;
    case CacheType::BF16: return 0x1p-8;
    case CacheType::Q8_0: return (0.5 + 127 * 0x1p-11) / 127;
  }
  return 1;
}

constexpr CacheType kTypes[] = {CacheType::F16, CacheType::BF16, CacheType::Q8_0};

}  // namespace

TEST_CASE("f16, bf16 and q8_0 caches: perplexity and greedy output against the f32 cache") {
  const auto ids = text_tokens();
  REQUIRE(ids.size() > 150);
  const double f32 = cached_nll(ids, CacheType::F32);
  const auto f32_greedy = greedy(CacheType::F32, 100);
  for (CacheType type : kTypes) {
    CAPTURE(cache_type_name(type));
    const double nll = cached_nll(ids, type);
    // Every key and value moves by at most u of itself (of its block's
    // largest for q8_0), so scores and attention outputs by a few u per
    // layer (test_attention_kernels asserts the per-call bound); through
    // stories260K's 5 layers the mean log-likelihood moves by less than 5 u.
    const double bound = 5 * unit_roundoff(type);
    const auto tokens = greedy(type, 100);
    const size_t agree = std::mismatch(tokens.begin(), tokens.end(), f32_greedy.begin()).first - tokens.begin();
    MESSAGE(cache_type_name(type) << ": perplexity " << std::exp(nll) << " vs f32 " << std::exp(f32) << " (log ratio "
            << nll - f32 << ", bound " << bound << "); greedy agrees with f32 for " << agree << " of " << tokens.size()
            << " tokens");
    CHECK(std::fabs(nll - f32) <= bound);
    CHECK(std::fabs(nll - f32) > 0);  // the type is really used
  }
}

TEST_CASE("scoring in packed passes reads keys and values as the cache stores them") {
  const auto ids = text_tokens();
  for (CacheType type : {CacheType::F32, CacheType::F16, CacheType::BF16, CacheType::Q8_0}) {
    CAPTURE(cache_type_name(type));
    Session session(stories(), cache_of(type));
    const PerplexityResult packed = perplexity(session, ids, PerplexityOptions{});
    CHECK(packed.nll() == doctest::Approx(cached_nll(ids, type)).epsilon(1e-5));
  }
}

TEST_CASE("the cache shrinks with its type; keys and values may differ") {
  const auto ids = text_tokens();
  const auto bytes = [&](CacheType k, CacheType v) {
    Session session(stories(), {.cache_type_k = k, .cache_type_v = v});
    session.forward(ids);
    return session.stats().kv_cache_bytes;
  };
  const int64_t f32 = bytes(CacheType::F32, CacheType::F32);
  CHECK(bytes(CacheType::F16, CacheType::F16) * 2 == f32);
  CHECK(bytes(CacheType::BF16, CacheType::F32) * 4 == f32 * 3);
  // stories260K's head_dim 8 is one short q8_0 block: 2 + 8 bytes per 32.
  CHECK(bytes(CacheType::Q8_0, CacheType::Q8_0) * 32 == f32 * 10);
  CHECK(bytes(CacheType::Q8_0, CacheType::F16) * 32 == f32 * (5 + 8));
  const ForwardCost cost = forward_cost(*stories(), 1, cache_of(CacheType::Q8_0));
  CHECK(cost.kv_bytes_per_position * 32 == forward_cost(*stories(), 1).kv_bytes_per_position * 10);
}

TEST_CASE("greedy output and logits do not depend on the thread count, for every cache type") {
  const auto ids = text_tokens();
  for (CacheType type : {CacheType::F32, CacheType::F16, CacheType::BF16, CacheType::Q8_0}) {
    CAPTURE(cache_type_name(type));
    set_num_threads(1);
    const auto one = greedy(type, 60);
    Session a(stories(), cache_of(type));
    const auto a_logits = a.forward(ids, true);
    const std::vector<float> one_logits(a_logits.begin(), a_logits.end());
    set_num_threads(2);
    const auto two = greedy(type, 60);
    Session b(stories(), cache_of(type));
    const auto two_logits = b.forward(ids, true);
    set_num_threads(0);
    CHECK(one == two);
    CHECK(attn::test::max_abs_diff(one_logits, two_logits) == 0.f);
  }
}

TEST_CASE("copy_from refuses a session whose cache stores other types") {
  Session f32(stories()), q8(stories(), cache_of(CacheType::Q8_0));
  CHECK_THROWS_WITH_AS(q8.copy_from(f32), doctest::Contains("different types"), Error);
}
