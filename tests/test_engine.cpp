// Engine pieces: the vector kernels against the scalar reference and libm,
// 16-bit conversions, rotary embeddings against their formula, and the
// memory planner's no-overlap guarantee.
#include <doctest/doctest.h>

#include <cmath>
#include <optional>
#include <random>

#include "attn/error.h"
#include "engine/checked_shape.h"
#include "engine/graph_builder.h"
#include "engine/kernels/kernels.h"
#include "engine/memory_plan.h"
#include "engine/ops/rope.h"
#include "engine/tensor.h"
#include "test_support.h"

using namespace attn;
using attn::test::random_vector;

namespace {

float max_rel_diff(const std::vector<float>& a, const std::vector<float>& b) {
  float worst = 0.f;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(a[i] - b[i]) / (1.f + std::fabs(b[i])));
  return worst;
}

}  // namespace

TEST_CASE("AVX2 kernels agree with the scalar reference for every length and tail") {
  const kernels::KernelTable* vec = kernels::table_for(kernels::Isa::Avx2);
  if (!vec) {
    MESSAGE("this CPU has no AVX2+FMA+F16C; only the scalar kernels run here");
    return;
  }
  const kernels::KernelTable& ref = *kernels::table_for(kernels::Isa::Scalar);
  for (size_t n : {1u, 7u, 8u, 9u, 15u, 16u, 17u, 33u, 64u, 172u, 1000u}) {
    CAPTURE(n);
    const auto a = random_vector(n, 1 + n), b = random_vector(n, 2 + n), w = random_vector(n, 3 + n);
    CHECK(vec->dot(a.data(), b.data(), n) == doctest::Approx(ref.dot(a.data(), b.data(), n)).epsilon(1e-5));

    std::vector<float> y1 = b, y2 = b;
    vec->axpy(0.37f, a.data(), y1.data(), n);
    ref.axpy(0.37f, a.data(), y2.data(), n);
    CHECK(max_rel_diff(y1, y2) < 1e-6f);

    std::vector<float> o1(n), o2(n);
    vec->rms_norm(a.data(), w.data(), o1.data(), n, 1e-5f);
    ref.rms_norm(a.data(), w.data(), o2.data(), n, 1e-5f);
    CHECK(max_rel_diff(o1, o2) < 1e-5f);

    vec->silu_mul(a.data(), b.data(), o1.data(), n);
    ref.silu_mul(a.data(), b.data(), o2.data(), n);
    CHECK(max_rel_diff(o1, o2) < 1e-6f);

    vec->add(a.data(), b.data(), o1.data(), n);
    ref.add(a.data(), b.data(), o2.data(), n);
    CHECK(max_rel_diff(o1, o2) == 0.f);

    std::vector<float> e1 = random_vector(n, 4 + n, 10.f), e2 = e1;
    const float s1 = vec->exp_shifted(e1.data(), n), s2 = ref.exp_shifted(e2.data(), n);
    CHECK(s1 == doctest::Approx(s2).epsilon(1e-6));
    CHECK(max_rel_diff(e1, e2) < 1e-6f);
  }
}

TEST_CASE("the vector exp is accurate over the float range, including underflow") {
  const kernels::KernelTable* vec = kernels::table_for(kernels::Isa::Avx2);
  if (!vec) return;
  std::vector<float> x;
  for (float v = -100.f; v <= 0.f; v += 0.01f) x.push_back(v);
  std::vector<float> shifted = x;
  x.push_back(0.f);
  shifted.push_back(0.f);  // max is 0, so exp_shifted computes exp(x)
  vec->exp_shifted(shifted.data(), shifted.size());
  float worst = 0.f;
  for (size_t i = 0; i < x.size(); ++i) {
    const double expected = std::exp(static_cast<double>(x[i]));
    if (expected > 1e-37) worst = std::max(worst, static_cast<float>(std::fabs(shifted[i] - expected) / expected));
    CHECK(std::isfinite(shifted[i]));
    CHECK(shifted[i] >= 0.f);
  }
  CHECK(worst < 1e-6f);
}

TEST_CASE("f16 and bf16 conversions round to nearest even and keep specials") {
  CHECK(f16_to_f32(0x3c00) == 1.f);
  CHECK(f16_to_f32(0xc000) == -2.f);
  CHECK(f16_to_f32(0x0001) == doctest::Approx(5.960464477539063e-08));  // smallest subnormal
  CHECK(std::isinf(f16_to_f32(0x7c00)));
  CHECK(std::isnan(f16_to_f32(0x7e00)));
  CHECK(f32_to_f16(1.f) == 0x3c00);
  CHECK(f32_to_f16(65504.f) == 0x7bff);
  CHECK(f32_to_f16(1e6f) == 0x7c00);
  CHECK(f32_to_f16(1.f + 1.f / 2048) == 0x3c00);  // halfway rounds to even
  CHECK(bf16_to_f32(0x3f80) == 1.f);
  CHECK(f32_to_bf16(1.f + 1.f / 256) == 0x3f80);  // halfway rounds to even
  CHECK(f32_to_bf16(1.f + 3.f / 256) == 0x3f82);
  // Every f16 bit pattern survives f16 -> f32 -> f16, and the vector path agrees.
  std::vector<uint16_t> all(65536);
  for (uint32_t i = 0; i < 65536; ++i) all[i] = static_cast<uint16_t>(i);
  std::vector<float> wide(65536), wide_ref(65536);
  kernels::active().f16_to_f32(all.data(), wide.data(), 65536);
  kernels::table_for(kernels::Isa::Scalar)->f16_to_f32(all.data(), wide_ref.data(), 65536);
  for (uint32_t i = 0; i < 65536; ++i) {
    if (std::isnan(wide_ref[i])) {
      CHECK(std::isnan(wide[i]));
      continue;
    }
    REQUIRE(wide[i] == wide_ref[i]);
    REQUIRE(f32_to_f16(wide[i]) == all[i]);
  }
}

TEST_CASE("row slices are views of the same memory, with their int8 row scales") {
  Tensor matrix = Tensor::zeros(DType::F32, {6, 3});
  for (int i = 0; i < 18; ++i) matrix.mutable_data_as<float>()[i] = static_cast<float>(i);
  const Tensor rows = matrix.slice_rows(2, 3);
  CHECK(rows.shape() == Shape{3, 3});
  CHECK(rows.data_as<float>() == matrix.data_as<float>() + 6);  // no copy
  CHECK(rows.data_as<float>()[8] == 14.f);
  CHECK_THROWS(matrix.slice_rows(4, 3));

  Tensor values = Tensor::zeros(DType::I8, {4, 2});
  Tensor scales = Tensor::zeros(DType::F32, {4});
  for (int r = 0; r < 4; ++r) {
    scales.mutable_data_as<float>()[r] = 0.5f * (r + 1);
    values.mutable_data_as<int8_t>()[2 * r] = static_cast<int8_t>(r);
  }
  const Tensor int8 = values.with_row_scales(scales).slice_rows(1, 2);
  REQUIRE(int8.row_scales());
  CHECK(int8.row_scales()->shape() == Shape{2});
  CHECK(int8.to_f32().data_as<float>()[0] == 1.f * 1.0f);  // row 1: 1 x scale 1.0
  CHECK(int8.to_f32().data_as<float>()[2] == 2.f * 1.5f);  // row 2: 2 x scale 1.5

  const Tensor transposed = matrix.slice_rows(0, 2).transposed_f32();
  CHECK(transposed.shape() == Shape{3, 2});
  CHECK(transposed.data_as<float>()[1] == 3.f);  // [0][1] of the transpose is [1][0]
}

TEST_CASE("rotary embedding follows its formula in both conventions") {
  const int d = 8;
  const double theta = 10000.0;
  for (RopeStyle style : {RopeStyle::HalfSplit, RopeStyle::Interleaved}) {
    const Rotary table(d, RopeFrequencies::standard(theta, d), style);
    for (int position : {0, 1, 17, 63}) {
      auto head = random_vector(d, 10 + position);
      const auto original = head;
      table.apply(head.data(), position);
      for (int i = 0; i < d / 2; ++i) {
        const double angle = position * std::pow(theta, -2.0 * i / d);
        const int a = style == RopeStyle::HalfSplit ? i : 2 * i;
        const int b = style == RopeStyle::HalfSplit ? i + d / 2 : 2 * i + 1;
        CHECK(head[a] == doctest::Approx(original[a] * std::cos(angle) - original[b] * std::sin(angle)).epsilon(1e-5));
        CHECK(head[b] == doctest::Approx(original[b] * std::cos(angle) + original[a] * std::sin(angle)).epsilon(1e-5));
      }
    }
  }
}

TEST_CASE("partial rotary: the leading rotary_dim dimensions rotate, scaled by the attention factor; the rest pass") {
  const int d = 8;
  RopeFrequencies f = RopeFrequencies::standard(10000.0, 4);
  f.attention_factor = 1.25;
  f.long_inv_freq = {0.5, 0.01};
  f.long_after = 16;
  const Rotary table(d, f, RopeStyle::HalfSplit);
  CHECK(!table.uses_long(16));
  CHECK(table.uses_long(17));
  for (bool long_factors : {false, true}) {
    auto head = random_vector(d, 3);
    const auto original = head;
    table.apply(head.data(), 5, long_factors);
    const auto& inv = long_factors ? f.long_inv_freq : f.inv_freq;
    for (int i = 0; i < 2; ++i) {
      const double angle = 5 * inv[i];
      CHECK(head[i] == doctest::Approx(1.25 * (original[i] * std::cos(angle) - original[i + 2] * std::sin(angle))).epsilon(1e-5));
      CHECK(head[i + 2] == doctest::Approx(1.25 * (original[i + 2] * std::cos(angle) + original[i] * std::sin(angle))).epsilon(1e-5));
    }
    for (int i = 4; i < d; ++i) CHECK(head[i] == original[i]);
  }
}

TEST_CASE("rotary angles are cached per thread for one position of one Rotary only") {
  // Alternating objects, positions and frequency sets must each get their
  // own angles, also from an object built where a destroyed one was.
  const int d = 8;
  const auto reference = [&](double theta, int position, const std::vector<float>& original) {
    std::vector<float> rotated = original;
    for (int i = 0; i < d / 2; ++i) {
      const double angle = position * std::pow(theta, -2.0 * i / d);
      const float c = static_cast<float>(std::cos(angle)), s = static_cast<float>(std::sin(angle));
      rotated[i] = original[i] * c - original[i + d / 2] * s;
      rotated[i + d / 2] = original[i + d / 2] * c + original[i] * s;
    }
    return rotated;
  };
  const auto check = [&](const Rotary& rotary, double theta, int position, uint32_t seed) {
    auto head = random_vector(d, seed);
    const auto expected = reference(theta, position, head);
    rotary.apply(head.data(), position);
    CHECK(head == expected);
  };
  const Rotary local(d, RopeFrequencies::standard(10000.0, d), RopeStyle::HalfSplit);
  for (int round = 0; round < 2; ++round) {
    for (int position : {7, 7, 8, 7}) {
      std::optional<Rotary> global(std::in_place, d, RopeFrequencies::standard(1000000.0, d), RopeStyle::HalfSplit);
      check(local, 10000.0, position, 1);
      check(*global, 1000000.0, position, 2);
      check(*global, 1000000.0, position, 3);
      global.reset();
      global.emplace(d, RopeFrequencies::standard(500.0, d), RopeStyle::HalfSplit);
      check(*global, 500.0, position, 4);
    }
  }
}

TEST_CASE("the memory plan never lets two live values overlap") {
  // A small Llama-shaped block with a residual that stays alive across it.
  const int dim = 16, hidden = 40;
  auto weight = [](int64_t out, int64_t in) { return Tensor::zeros(DType::F32, {out, in}); };
  const Tensor table = weight(32, dim), norm = Tensor::zeros(DType::F32, {dim});
  const Tensor wq = weight(dim, dim), wg = weight(hidden, dim), wd = weight(dim, hidden);
  GraphBuilder g;
  ValueId x = g.embedding(table);
  for (int layer = 0; layer < 3; ++layer) {
    const ValueId h = g.rms_norm(x, norm, 1e-5f);
    AttentionConfig config;
    config.num_heads = 2;
    config.num_kv_heads = 1;
    config.head_dim = 8;
    config.rope = RopeStyle::HalfSplit;
    x = g.add(x, g.linear(g.attention(g.linear(h, wq), g.linear(h, weight(8, dim)), g.linear(h, weight(8, dim)), config), wq));
    const ValueId h2 = g.rms_norm(x, norm, 1e-5f);
    x = g.add(x, g.linear(g.swiglu(g.linear(h2, wg), g.linear(h2, wg)), wd));
  }
  const Graph graph = g.finish(g.linear(g.rms_norm(g.last_row(x), norm, 1e-5f), table));

  for (auto [rows, all_rows] : {std::pair{1, false}, std::pair{8, false}, std::pair{8, true}}) {
    const MemoryPlan plan = plan_memory(graph, rows, all_rows);
    std::vector<int> last_use(graph.value_count());
    for (const Node& node : graph.nodes()) {
      last_use[node.output] = node.output;
      for (ValueId in : node.inputs) last_use[in] = node.output;
    }
    last_use[graph.output()] = graph.value_count();
    int64_t total_unshared = 0;
    for (int a = 0; a < graph.value_count(); ++a) {
      const int64_t size_a = plan.rows[a] * graph.nodes()[a].op->output_width();
      total_unshared += size_a;
      CHECK(plan.offsets[a] + size_a <= plan.arena_floats);
      for (int b = a + 1; b < graph.value_count(); ++b) {
        const bool alive_together = b <= last_use[a];
        if (!alive_together) continue;
        const int64_t size_b = plan.rows[b] * graph.nodes()[b].op->output_width();
        const bool disjoint = plan.offsets[a] + size_a <= plan.offsets[b] || plan.offsets[b] + size_b <= plan.offsets[a];
        CHECK_MESSAGE(disjoint, "values ", a, " and ", b, " overlap");
      }
    }
    CHECK(plan.arena_floats < total_unshared);  // reuse actually happens
    CHECK(plan.rows[graph.output()] == (all_rows ? rows : 1));
  }
}

TEST_CASE("GEMV kernels: every dtype and odd shape against a double-precision reference, any row split") {
  for (kernels::Isa isa : {kernels::Isa::Scalar, kernels::Isa::Avx2}) {
    if (!kernels::table_for(isa)) continue;
    const kernels::GemvKernels* table = &kernels::table_for(isa)->gemv;
    // Not a structured binding: clang 14 cannot capture those (CAPTURE is a lambda).
    for (const auto& shape : {std::pair<int64_t, int64_t>{1, 1}, {3, 7}, {5, 8}, {9, 17}, {37, 64}, {64, 172}, {19, 1000}}) {
      const int64_t rows = shape.first, k = shape.second;
      CAPTURE(rows);
      CAPTURE(k);
      const auto w = random_vector(rows * k, 7 + k), x = random_vector(k, 8 + k);
      std::vector<uint16_t> w16(w.size()), wbf(w.size());
      for (size_t i = 0; i < w.size(); ++i) {
        w16[i] = f32_to_f16(w[i]);
        wbf[i] = f32_to_bf16(w[i]);
      }
      for (DType dtype : {DType::F32, DType::F16, DType::BF16}) {
        CAPTURE(dtype_name(dtype));
        const void* data = dtype == DType::F32 ? static_cast<const void*>(w.data())
                           : dtype == DType::F16 ? static_cast<const void*>(w16.data()) : wbf.data();
        std::vector<float> y(rows), y_split(rows);
        table->for_dtype(dtype)(data, x.data(), y.data(), 0, rows, k);
        // The same rows computed in uneven pieces, as threads would, must be bit-identical.
        for (int64_t begin = 0; begin < rows; begin += 3) {
          table->for_dtype(dtype)(data, x.data(), y_split.data(), begin, std::min(rows, begin + 3), k);
        }
        CHECK(y == y_split);
        for (int64_t r = 0; r < rows; ++r) {
          double expected = 0, magnitude = 0;
          for (int64_t i = 0; i < k; ++i) {
            const double wi = dtype == DType::F32 ? w[r * k + i] : dtype == DType::F16 ? f16_to_f32(w16[r * k + i]) : bf16_to_f32(wbf[r * k + i]);
            expected += wi * x[i];
            magnitude += std::fabs(wi * x[i]);
          }
          CHECK(std::fabs(y[r] - expected) <= 1e-5 * (1 + magnitude));
        }
      }
    }
  }
}

TEST_CASE("tensor shapes whose strides or size overflow int64 are refused, even when they hold nothing") {
  const int64_t huge = int64_t{1} << 62;
  CHECK(shape_fits({0, 4, 5}));
  CHECK(shape_fits({huge, 1}));
  CHECK_FALSE(shape_fits({0, huge, huge}));  // the review's UBSan report: 0 bytes, stride 2^124
  CHECK_FALSE(shape_fits({3, -1}));
  CHECK_FALSE(shape_fits({huge, 2, 2}));
  CHECK_THROWS_WITH_AS(Tensor(DType::F32, {0, huge, huge}, nullptr), doctest::Contains("more than 2^63"), attn::Error);
  CHECK_THROWS_WITH_AS(Tensor::zeros(DType::F32, {huge, 4}), doctest::Contains("too large to allocate"), attn::Error);
  const Tensor empty(DType::F32, {0, 3, 4}, nullptr);
  CHECK(empty.numel() == 0);
  CHECK(empty.strides() == Shape{12, 4, 1});
}
