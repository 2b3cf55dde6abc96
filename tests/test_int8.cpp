// Int8 weights: the activation quantiser, the dequantiser and the int8 GEMV
// (scalar and AVX2) against plain double-precision references, and the
// per-row weight quantisation's error bound.
#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "engine/kernels/kernels.h"
#include "engine/weight_conversion.h"
#include "kernel_tables.h"
#include "test_support.h"

using namespace attn;
using attn::test::random_vector;

namespace {

std::vector<const kernels::Int8Kernels*> int8_tables() {
  std::vector<const kernels::Int8Kernels*> tables;
  for (const auto* table : attn::test::kernel_tables()) tables.push_back(&table->int8);
  return tables;
}

// Sizes around the AVX2 widths (8 floats, 32 bytes) and odd ones.
const int64_t kLengths[] = {1, 7, 8, 9, 31, 32, 33, 63, 64, 65, 100, 257, 1000};

}  // namespace

TEST_CASE("quantize_row: half-step error bound, range [-127, 127], identical on every ISA") {
  for (int64_t n : kLengths) {
    CAPTURE(n);
    auto x = random_vector(n, 11 + n, 3.f);
    float largest = 0;
    for (float v : x) largest = std::max(largest, std::fabs(v));
    x[n / 2] = -largest - 1;  // the extreme is negative: must map to -127, not -128
    std::vector<int8_t> reference(n);
    const float reference_scale = kernels::table_for(kernels::Isa::Scalar)->int8.quantize_row(x.data(), reference.data(), n);
    double max_abs = 0;
    for (float v : x) max_abs = std::max(max_abs, std::fabs(double{v}));
    CHECK(reference_scale == doctest::Approx(max_abs / 127).epsilon(1e-6));
    for (int64_t i = 0; i < n; ++i) {
      CHECK(reference[i] >= -127);
      CHECK(std::fabs(x[i] - reference[i] * double{reference_scale}) <= reference_scale * (0.5 + 1e-5));
    }
    CHECK(reference[n / 2] == -127);
    for (const kernels::Int8Kernels* table : int8_tables()) {
      std::vector<int8_t> q(n);
      CHECK(table->quantize_row(x.data(), q.data(), n) == reference_scale);
      CHECK(q == reference);
      std::vector<float> back(n);
      table->dequantize_row(q.data(), reference_scale, back.data(), n);
      for (int64_t i = 0; i < n; ++i) CHECK(back[i] == q[i] * reference_scale);
    }
  }
}

TEST_CASE("quantize_row: an all-zero row has scale 0 and zero codes") {
  for (const kernels::Int8Kernels* table : int8_tables()) {
    std::vector<float> x(40, 0.f);
    std::vector<int8_t> q(40, 5);
    CHECK(table->quantize_row(x.data(), q.data(), 40) == 0.f);
    CHECK(q == std::vector<int8_t>(40, 0));
  }
}

TEST_CASE("int8 GEMV: exact integer sums for every odd shape, bit-identical across ISAs and row splits") {
  for (const auto& shape : {std::pair<int64_t, int64_t>{1, 1}, {3, 7}, {5, 32}, {9, 33}, {37, 64}, {64, 172}, {19, 1000},
                            {6, 2048}}) {
    const int64_t rows = shape.first, k = shape.second;
    CAPTURE(rows);
    CAPTURE(k);
    std::mt19937 rng(static_cast<uint32_t>(rows * 131 + k));
    std::uniform_int_distribution<int> code(-127, 127);
    std::vector<int8_t> w(rows * k), qx(k);
    for (int8_t& v : w) v = static_cast<int8_t>(code(rng));
    for (int8_t& v : qx) v = static_cast<int8_t>(code(rng));
    // Worst case for saturation: every pair of products at +-127 * 127.
    for (int64_t i = 0; i < std::min<int64_t>(k, 64); ++i) w[i] = qx[i] = static_cast<int8_t>(i % 2 ? -127 : 127);
    const auto w_scales = random_vector(rows, 3, 0.01f);
    const float x_scale = 0.037f;

    std::vector<float> reference(rows);
    kernels::table_for(kernels::Isa::Scalar)->int8.gemv_rows(w.data(), w_scales.data(), qx.data(), x_scale, reference.data(), 0, rows, k);
    for (int64_t r = 0; r < rows; ++r) {
      int64_t sum = 0;
      for (int64_t i = 0; i < k; ++i) sum += int64_t{w[r * k + i]} * qx[i];
      const double expected = static_cast<double>(sum) * w_scales[r] * x_scale;
      CHECK(std::fabs(reference[r] - expected) <= 1e-6 * (1 + std::fabs(expected)));
    }
    for (const kernels::Int8Kernels* table : int8_tables()) {
      std::vector<float> y(rows), y_split(rows);
      table->gemv_rows(w.data(), w_scales.data(), qx.data(), x_scale, y.data(), 0, rows, k);
      for (int64_t begin = 0; begin < rows; begin += 3) {
        table->gemv_rows(w.data(), w_scales.data(), qx.data(), x_scale, y_split.data(), begin,
                         std::min(rows, begin + 3), k);
      }
      CHECK(y == reference);
      CHECK(y_split == reference);
    }
  }
}

TEST_CASE("int8 weights: |w - dequantize(quantize(w))| <= scale / 2 per row, from every float type") {
  const int64_t rows = 23, k = 77;
  auto w = random_vector(rows * k, 5, 0.2f);
  std::fill_n(w.begin() + 4 * k, k, 0.f);  // an all-zero row
  w[7 * k + 3] = 50.f;                     // an outlier row
  const Tensor f32(DType::F32, {rows, k}, w.data());
  for (DType source : {DType::F32, DType::F16, DType::BF16}) {
    CAPTURE(dtype_name(source));
    const Tensor original = convert_weight(f32, source);
    const Tensor exact = original.to_f32();
    const Tensor q = convert_weight(original, DType::I8);
    REQUIRE(q.dtype() == DType::I8);
    REQUIRE(q.row_scales() != nullptr);
    CHECK(q.nbytes_with_scales() == size_t(rows * k + rows * 4));
    const Tensor back = q.to_f32();
    for (int64_t r = 0; r < rows; ++r) {
      const float scale = q.row_scales()->data_as<float>()[r];
      float max_abs = 0;
      for (int64_t i = 0; i < k; ++i) max_abs = std::max(max_abs, std::fabs(exact.data_as<float>()[r * k + i]));
      CHECK(scale == doctest::Approx(max_abs / 127).epsilon(1e-6));
      for (int64_t i = 0; i < k; ++i) {
        CHECK(std::fabs(exact.data_as<float>()[r * k + i] - back.data_as<float>()[r * k + i]) <= scale * (0.5 + 1e-5));
      }
    }
    CHECK(q.row_scales()->data_as<float>()[4] == 0.f);
  }
}

TEST_CASE("16-bit weight conversion rounds to nearest even, and int8 dequantises to 16 bits") {
  const auto w = random_vector(60, 9);
  const Tensor f32(DType::F32, {6, 10}, w.data());
  const Tensor f16 = convert_weight(f32, DType::F16), bf16 = convert_weight(f32, DType::BF16);
  for (int i = 0; i < 60; ++i) {
    CHECK(f16.data_as<uint16_t>()[i] == f32_to_f16(w[i]));
    CHECK(bf16.data_as<uint16_t>()[i] == f32_to_bf16(w[i]));
  }
  const Tensor q = convert_weight(f32, DType::I8);
  const Tensor q16 = convert_weight(q, DType::F16), dq = q.to_f32();
  for (int i = 0; i < 60; ++i) CHECK(q16.data_as<uint16_t>()[i] == f32_to_f16(dq.data_as<float>()[i]));
  CHECK(convert_weight(f32, DType::F32).data() == f32.data());  // already in the type: no copy
}
