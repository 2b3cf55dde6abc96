// The sampler chain: distribution() against hand-computed values, and the
// frequencies of many seeded draws against the expected distributions.
#include <doctest/doctest.h>

#include <cmath>
#include <map>

#include "attn/error.h"
#include "attn/sampler.h"

namespace attn {
namespace {

using Ids = std::vector<TokenId>;
using Distribution = std::map<TokenId, double>;

constexpr int kDraws = 20000;

SamplerConfig plain(float temperature = 1.0f) {
  SamplerConfig config;
  config.temperature = temperature;
  config.top_k = 0;
  config.top_p = 1.0f;
  config.min_p = 0.0f;
  config.repeat_penalty = 1.0f;
  config.seed = 1234;
  return config;
}

// softmax(logits / temperature) restricted to `keep`, renormalised.
Distribution softmax(const std::vector<float>& logits, double temperature, const Ids& keep) {
  Distribution p;
  double sum = 0;
  for (const TokenId id : keep) sum += p[id] = std::exp(logits[id] / temperature);
  for (auto& [id, value] : p) value /= sum;
  return p;
}

Ids all_ids(size_t n) {
  Ids ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = static_cast<TokenId>(i);
  return ids;
}

void check_distribution(Sampler& sampler, const std::vector<float>& logits, const Ids& history,
                        const Distribution& expected) {
  const auto got = sampler.distribution(logits, history);
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    CAPTURE(got[i].first);
    REQUIRE(expected.count(got[i].first) == 1);
    CHECK(got[i].second == doctest::Approx(expected.at(got[i].first)).epsilon(1e-5));
    if (i > 0) CHECK(got[i - 1].second >= got[i].second);
  }
}

// Chi-square goodness of fit of kDraws draws at the 0.1% level; tokens with
// probability zero must never be drawn at all.
void check_draws(Sampler& sampler, const std::vector<float>& logits, const Ids& history,
                 const Distribution& expected) {
  std::map<TokenId, int> counts;
  for (int i = 0; i < kDraws; ++i) ++counts[sampler.sample(logits, history)];
  for (const auto& [id_key, count] : counts) {
    const TokenId id = id_key;
    CAPTURE(id);
    CHECK(expected.count(id) == 1);
  }
  double chi_square = 0;
  for (const auto& [id, p] : expected) {
    const double mean = kDraws * p;
    chi_square += (counts[id] - mean) * (counts[id] - mean) / mean;
  }
  // Critical values of chi-square at p = 0.001 for 1..7 degrees of freedom.
  constexpr double kCritical[] = {10.83, 13.82, 16.27, 18.47, 20.52, 22.46, 24.32};
  const size_t degrees = expected.size() - 1;
  if (degrees == 0) return;
  REQUIRE(degrees <= std::size(kCritical));
  CAPTURE(chi_square);
  CHECK(chi_square < kCritical[degrees - 1]);
}

void check_sampler(const SamplerConfig& config, const std::vector<float>& logits, const Ids& history,
                   const Distribution& expected) {
  Sampler sampler(config);
  check_distribution(sampler, logits, history, expected);
  check_draws(sampler, logits, history, expected);
}

const std::vector<float> kLogits = {2.0f, 1.0f, 0.0f, -1.0f};
// Probabilities 1/2, 1/4, 1/8, 1/16, 1/16 (ids shuffled).
const std::vector<float> kHalving = {std::log(0.125f), std::log(0.5f), std::log(0.0625f), std::log(0.25f),
                                     std::log(0.0625f)};

}  // namespace

TEST_CASE("temperature: hand-computed distributions and draw frequencies") {
  // softmax([2, 1, 0, -1] / T), worked out by hand.
  Sampler sampler(plain(1.0f));
  check_distribution(sampler, kLogits, {}, {{0, 0.643914}, {1, 0.236883}, {2, 0.087144}, {3, 0.032059}});
  check_sampler(plain(0.5f), kLogits, {}, {{0, 0.864955}, {1, 0.117059}, {2, 0.015842}, {3, 0.002144}});
  check_sampler(plain(2.0f), kLogits, {}, {{0, 0.455054}, {1, 0.276004}, {2, 0.167405}, {3, 0.101536}});
  // A temperature this small must not overflow into NaN: all mass on the argmax.
  check_sampler(plain(1e-30f), kLogits, {}, {{0, 1.0}});
}

TEST_CASE("top-k keeps the k most likely, renormalised") {
  auto config = plain();
  config.top_k = 2;
  check_sampler(config, kLogits, {}, softmax(kLogits, 1, {0, 1}));
  config.top_k = 10;  // more than the vocabulary: no effect
  check_sampler(config, kLogits, {}, softmax(kLogits, 1, all_ids(4)));
}

TEST_CASE("top-p keeps the smallest prefix with mass >= p, at least one token") {
  auto config = plain();
  config.top_p = 0.8f;  // 1/2 + 1/4 < 0.8 <= 1/2 + 1/4 + 1/8
  check_sampler(config, kHalving, {}, {{1, 4.0 / 7}, {3, 2.0 / 7}, {0, 1.0 / 7}});
  config.top_p = 0.3f;
  check_sampler(config, kHalving, {}, {{1, 1.0}});
  config.top_p = 0.0f;
  check_sampler(config, kHalving, {}, {{1, 1.0}});
}

TEST_CASE("min-p drops tokens below min_p times the most likely") {
  auto config = plain();
  config.min_p = 0.2f;  // threshold 0.1: keeps 1/2, 1/4, 1/8
  check_sampler(config, kHalving, {}, {{1, 4.0 / 7}, {3, 2.0 / 7}, {0, 1.0 / 7}});
  config.min_p = 0.13f;  // threshold 0.065 > 1/16
  check_sampler(config, kHalving, {}, {{1, 4.0 / 7}, {3, 2.0 / 7}, {0, 1.0 / 7}});
  config.min_p = 0.12f;  // threshold 0.06 < 1/16: all stay
  check_sampler(config, kHalving, {}, softmax(kHalving, 1, all_ids(5)));
}

TEST_CASE("the stages compose in order: temperature, top-k, top-p on the renormalised top-k, min-p") {
  auto config = plain(0.5f);  // probabilities become 1/2^2, 1/4^2, ... renormalised: 64:16:4:1:1
  config.top_k = 4;           // drops one of the 1/16 tokens: 64:16:4:1 (ids 1, 3, 0, then 2 before 4)
  config.top_p = 0.95f;       // 64 + 16 = 80 < 0.95 * 85 <= 84: keeps three
  check_sampler(config, kHalving, {}, {{1, 64.0 / 84}, {3, 16.0 / 84}, {0, 4.0 / 84}});
  config.min_p = 0.2f;  // 4 < 0.2 * 64: drops the third
  check_sampler(config, kHalving, {}, {{1, 64.0 / 80}, {3, 16.0 / 80}});
}

TEST_CASE("repetition penalty over the last repeat_last_n tokens") {
  auto config = plain();
  config.repeat_penalty = 2.0f;
  const std::vector<float> logits = {2.0f, -1.0f, 0.5f, 1.0f};
  SUBCASE("positive logits divided, negative multiplied, each token once however often it occurs") {
    // {2, -1, 0.5, 1} -> {1, -2, 0.5, 1}: softmax by hand.
    const Distribution expected = {{0, 0.376461}, {1, 0.018743}, {2, 0.228335}, {3, 0.376461}};
    check_sampler(config, logits, {0, 1, 1, 1}, expected);
  }
  SUBCASE("only the window counts") {
    config.repeat_last_n = 2;
    check_sampler(config, logits, {0, 1, 2, 2}, softmax({2.0f, -1.0f, 0.25f, 1.0f}, 1, all_ids(4)));
    config.repeat_last_n = 0;
    check_sampler(config, logits, {0, 1, 2, 2}, softmax(logits, 1, all_ids(4)));
  }
  SUBCASE("it applies before greedy selection") {
    Sampler greedy(plain(0.0f));
    CHECK(greedy.sample(logits, Ids{0}) == 0);
    config.temperature = 0.0f;
    config.repeat_penalty = 4.0f;
    Sampler penalised(config);
    CHECK(penalised.sample(logits, Ids{0}) == 3);  // 2 / 4 < 1
  }
}

TEST_CASE("greedy: argmax, lowest id wins ties, whatever the other settings") {
  auto config = plain(0.0f);
  config.top_k = 1;
  config.top_p = 0.1f;
  for (const uint64_t seed : {1u, 2u}) {
    config.seed = seed;
    Sampler sampler(config);
    CHECK(sampler.sample(std::vector<float>{1.0f, 3.0f, 3.0f, 2.0f}, {}) == 1);
    CHECK(sampler.sample(std::vector<float>{-INFINITY, -5.0f, -5.0f}, {}) == 1);
    const auto distribution = sampler.distribution(std::vector<float>{0.5f, 0.1f, 0.7f}, {});
    REQUIRE(distribution.size() == 1);
    CHECK(distribution[0] == std::pair<TokenId, float>{2, 1.0f});
  }
}

TEST_CASE("seeds: same seed, same draws; different seeds, different draws") {
  const std::vector<float> flat(64, 0.0f);
  const auto draws = [&](uint64_t seed) {
    auto config = plain();
    config.seed = seed;
    Sampler sampler(config);
    Ids ids;
    for (int i = 0; i < 200; ++i) ids.push_back(sampler.sample(flat, {}));
    return ids;
  };
  CHECK(draws(7) == draws(7));
  CHECK(draws(7) != draws(8));
  // mt19937_64 and the 53-bit uniform are fully specified, so these ids hold
  // on every platform: with 64 equal candidates the draw is the top 6 bits
  // of each 64-bit output (worked out with an independent Python mt19937_64).
  const Ids first = draws(42);
  CHECK(Ids(first.begin(), first.begin() + 8) == Ids{48, 40, 48, 8, 57, 6, 36, 23});
}

TEST_CASE("-inf logits are never drawn; NaN, +inf and bad settings are errors") {
  const std::vector<float> masked = {0.0f, -INFINITY, 0.0f};
  check_sampler(plain(), masked, {}, {{0, 0.5}, {2, 0.5}});

  Sampler sampler(plain());
  CHECK_THROWS_AS(sampler.sample(std::vector<float>{0.0f, NAN}, {}), Error);
  CHECK_THROWS_AS(sampler.sample(std::vector<float>{0.0f, INFINITY}, {}), Error);
  CHECK_THROWS_AS(sampler.sample(std::vector<float>{-INFINITY, -INFINITY}, {}), Error);
  CHECK_THROWS_AS(sampler.sample(std::vector<float>{}, {}), Error);
  auto penalised = plain();
  penalised.repeat_penalty = 1.1f;
  CHECK_THROWS_AS(Sampler(penalised).sample(std::vector<float>{0.0f, 1.0f}, Ids{5}), Error);

  const auto invalid = [](auto change) {
    auto config = plain();
    change(config);
    CHECK_THROWS_AS(Sampler{config}, Error);
  };
  invalid([](SamplerConfig& c) { c.temperature = -1; });
  invalid([](SamplerConfig& c) { c.temperature = NAN; });
  invalid([](SamplerConfig& c) { c.top_k = -1; });
  invalid([](SamplerConfig& c) { c.top_p = 1.5f; });
  invalid([](SamplerConfig& c) { c.min_p = -0.1f; });
  invalid([](SamplerConfig& c) { c.repeat_penalty = 0; });
  invalid([](SamplerConfig& c) { c.repeat_last_n = -1; });
}

}  // namespace attn
