// The attention kernel over the KV cache (engine/kernels/attention.h) on
// every instruction set this CPU has, for every key and value cache type:
// against a float64 softmax over the rows as stored (the kernel's own
// error), and against a float64 softmax over the f32 rows before storing
// (the cache type's error), within the bound its rounding implies.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "engine/kernels/kernels.h"
#include "engine/kv_rows.h"
#include "engine/tensor.h"
#include "kernel_tables.h"
#include "test_support.h"

using namespace attn;

namespace {

constexpr CacheType kTypes[] = {CacheType::F32, CacheType::F16, CacheType::BF16, CacheType::Q8_0};

struct Rows {
  CacheType type;
  int d;
  std::vector<float> original;  // [count][d]
  std::vector<std::byte> stored;
  int64_t stride;

  Rows(CacheType t, int head_dim, int count, uint32_t seed, float scale)
      : type(t), d(head_dim), original(attn::test::random_vector(static_cast<size_t>(count) * head_dim, seed, scale)),
        stride(cache_row_bytes(t, head_dim)) {
    stored.resize(static_cast<size_t>(count) * stride);
    for (int j = 0; j < count; ++j) encode_cache_row(t, original.data() + j * d, d, stored.data() + j * stride);
  }
  std::vector<float> decoded() const {
    std::vector<float> x(original.size());
    for (size_t j = 0; j < original.size() / d; ++j) decode_cache_row(type, stored.data() + j * stride, d, x.data() + j * d);
    return x;
  }
  kernels::CachedRows at(int first) const { return {stored.data() + first * stride, stride, type}; }

  // The most a stored value may differ from the original (kv_rows.h):
  // half an ulp for f16 / bf16 (plus f16's subnormal step); for q8_0 half a
  // quantisation step d = max/127 plus the f16 rounding of d times |q| <= 127.
  float error_bound(int j, int i) const {
    const float x = std::fabs(original[static_cast<size_t>(j) * d + i]);
    switch (type) {
      case CacheType::F32: return 0;
      case CacheType::F16: return x * 0x1p-11f + 0x1p-25f;
      case CacheType::BF16: return x * 0x1p-8f + 0x1p-133f;
      case CacheType::Q8_0: {
        const int start = i / kQ8BlockValues * kQ8BlockValues, end = std::min(d, start + kQ8BlockValues);
        float max = 0;
        for (int k = start; k < end; ++k) max = std::max(max, std::fabs(original[static_cast<size_t>(j) * d + k]));
        return max / 127.f * (0.5f + 127.f * 0x1p-11f) * 1.0001f;
      }
    }
    return 0;
  }
};

// Softmax(q . k_j, capped) weighting v_j, in double.
std::vector<double> reference(const std::vector<float>& q, const std::vector<float>& keys,
                              const std::vector<float>& values, int d, int count, float softcap) {
  std::vector<double> scores(count);
  double max = -INFINITY;
  for (int j = 0; j < count; ++j) {
    double s = 0;
    for (int i = 0; i < d; ++i) s += static_cast<double>(q[i]) * keys[static_cast<size_t>(j) * d + i];
    if (softcap > 0) s = softcap * std::tanh(s / softcap);
    scores[j] = s;
    max = std::max(max, s);
  }
  std::vector<double> out(d, 0.0);
  double sum = 0;
  for (int j = 0; j < count; ++j) {
    const double p = std::exp(scores[j] - max);
    sum += p;
    for (int i = 0; i < d; ++i) out[i] += p * values[static_cast<size_t>(j) * d + i];
  }
  for (double& x : out) x /= sum;
  return out;
}

// The kernel, fed in runs of `run` positions (as pages and rings hand them over).
std::vector<float> kernel(const kernels::KernelTable& table, const std::vector<float>& q, const Rows& keys,
                          const Rows& values, int count, int run, float softcap) {
  std::vector<float> out(keys.d, 0.f);
  kernels::OnlineSoftmax state{.acc = out.data()};
  for (int first = 0; first < count; first += run) {
    table.attention.attend(q.data(), keys.d, keys.at(first), values.at(first), std::min(run, count - first),
                           /*bias=*/nullptr, softcap, state);
  }
  for (float& x : out) x /= state.sum;
  return out;
}

std::vector<const kernels::KernelTable*> tables() { return attn::test::kernel_tables(); }

}  // namespace

TEST_CASE("cache rows: f16 and bf16 round to nearest, q8_0 is ggml's block_q8_0") {
  const std::vector<float> x{1.f, -2.5f, 0.1f, 65504.f, 3.f, 1e-8f, -0.75f, 127.f, 0.5f};
  std::vector<std::byte> row(cache_row_bytes(CacheType::Q8_0, 9));
  CHECK(row.size() == 9 + 2);  // one short block: a scale and 9 values
  encode_cache_row(CacheType::Q8_0, x.data(), 9, row.data());
  uint16_t scale;
  std::memcpy(&scale, row.data(), 2);
  CHECK(scale == f32_to_f16(65504.f / 127.f));
  CHECK(static_cast<int8_t>(row[2 + 3]) == 127);
  CHECK(static_cast<int8_t>(row[2 + 0]) == 0);  // 1 / 515.8 rounds to 0
  CHECK(cache_row_bytes(CacheType::Q8_0, 64) == 64 + 2 * 2);
  CHECK(cache_row_bytes(CacheType::Q8_0, 33) == 33 + 2 * 2);
  CHECK(cache_row_bytes(CacheType::F16, 7) == 14);
  for (CacheType type : kTypes) {
    CAPTURE(cache_type_name(type));
    CHECK(parse_cache_type(cache_type_name(type)) == type);
  }
  CHECK_FALSE(parse_cache_type("q4_0"));
  CHECK_FALSE(parse_cache_type("F16"));
}

TEST_CASE("attention over every cache type matches float64 on every instruction set") {
  const auto found = tables();
  REQUIRE(!found.empty());
  int checked = 0;
  for (const kernels::KernelTable* table : found) {
    for (int d : {1, 7, 8, 33, 64, 80, 128}) {
      for (int count : {1, 5, 31, 33, 300}) {
        for (CacheType key_type : kTypes) {
          for (CacheType value_type : kTypes) {
            for (float softcap : {0.f, 5.f}) {
              CAPTURE(table->name);
              CAPTURE(d);
              CAPTURE(count);
              CAPTURE(cache_type_name(key_type));
              CAPTURE(cache_type_name(value_type));
              CAPTURE(softcap);
              const uint32_t seed = static_cast<uint32_t>(d * 1000 + count);
              // Scores of spread ~3: the softmax is neither flat nor one-hot.
              const auto q = attn::test::random_vector(d, seed, 3.f / std::sqrt(static_cast<float>(d)));
              const Rows keys(key_type, d, count, seed + 1, 1.f), values(value_type, d, count, seed + 2, 2.f);
              const auto got = kernel(*table, q, keys, values, count, count > 40 ? 37 : 3, softcap);

              // The kernel's own error: float arithmetic over the stored rows.
              const auto exact = reference(q, keys.decoded(), values.decoded(), d, count, softcap);
              float value_max = 0;
              for (float v : values.original) value_max = std::max(value_max, std::fabs(v));
              for (int i = 0; i < d; ++i) REQUIRE(std::fabs(got[i] - exact[i]) <= 2e-5 * value_max);

              // The cache type's error against the rows before storing: a
              // score moves by at most delta = max_j sum_i |q_i| err(k_ji),
              // so every softmax weight by a factor within e^(+-2 delta),
              // and the output by at most max err(v) + (e^(2 delta) - 1) max |v|.
              double delta = 0, value_error = 0;
              for (int j = 0; j < count; ++j) {
                double score_error = 0;
                for (int i = 0; i < d; ++i) {
                  score_error += std::fabs(q[i]) * keys.error_bound(j, i);
                  value_error = std::max<double>(value_error, values.error_bound(j, i));
                }
                delta = std::max(delta, score_error);
              }
              const double bound = value_error + std::expm1(2 * delta) * value_max + 2e-5 * value_max;
              const auto before = reference(q, keys.original, values.original, d, count, softcap);
              for (int i = 0; i < d; ++i) REQUIRE(std::fabs(got[i] - before[i]) <= bound);
              ++checked;
            }
          }
        }
      }
    }
  }
  CHECK(checked == static_cast<int>(found.size()) * 7 * 5 * 16 * 2);
}

TEST_CASE("scores far below the running maximum do not underflow the sum, nor far above overflow it") {
  for (const kernels::KernelTable* table : tables()) {
    CAPTURE(table->name);
    const int d = 8;
    const std::vector<float> q(d, 1.f);
    // Keys whose scores jump from -800 to +800 between runs: the running
    // maximum must rescale what was summed.
    Rows keys(CacheType::F32, d, 4, 1, 1.f), values(CacheType::F32, d, 4, 2, 1.f);
    const float levels[4] = {-100.f, -100.f, 100.f, 100.f};
    for (int j = 0; j < 4; ++j) {
      std::fill_n(keys.original.begin() + j * d, d, levels[j]);
      encode_cache_row(CacheType::F32, keys.original.data() + j * d, d, keys.stored.data() + j * keys.stride);
    }
    const auto got = kernel(*table, q, keys, values, 4, 2, 0.f);
    const auto exact = reference(q, keys.original, values.original, d, 4, 0.f);
    for (int i = 0; i < d; ++i) CHECK(got[i] == doctest::Approx(exact[i]).epsilon(1e-5));
  }
}
