// GGUF files with ggml's block types (tests/fixtures/gguf/quantized_fixtures.py,
// run by the gguf_fixtures test): a small random Llama in each type and in
// a Q4_K_M-like mix. attn's dequantization of the file's blocks equals the
// independent numpy reference's bit for bit, and attn's logits, computed
// from the blocks by the block kernels, are within a stated bound of a
// float64 forward pass on those dequantized weights.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include <nlohmann/json.hpp>

#include "attn/attn.h"
#include "loaders/gguf_checkpoint.h"
#include "test_support.h"

using namespace attn;
using attn::test::read_file;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

fs::path quantized_fixture(const std::string& type) {
  const char* dir = std::getenv("ATTN_GGUF_FIXTURES");
  REQUIRE_MESSAGE(dir, "ATTN_GGUF_FIXTURES is unset: run through ctest, which writes the fixtures first");
  return fs::path(dir) / "quantized" / type;
}

struct QuantizedType {
  std::string name;   // the fixture
  DType stored;       // what attn computes with: the type itself, or Q8_0 for the lossless repacks
  double bound;       // max |attn logit - float64 logit|
};

// Where attn's logits differ from the float64 forward on the same
// (dequantized) weights: every block GEMV first rounds its input row to
// int8 blocks, as ggml does: q8_0 (one f16 scale per 32 values) for the
// 32-value types, q8_K (one scale per 256, so coarser) for the K types,
// Q8_K and IQ4_XS.
// Rounding to 1/254 of a block's largest value perturbs each projection's
// input by ~0.7 % RMS on these Gaussian-like activations, in all 7
// projections of both layers and in the LM head; on this random model
// (logits up to ~5) that measured a largest logit error of 0.062-0.076
// with q8_0 activations and 0.089-0.106 with q8_K (scalar and AVX2 alike;
// Q5_1 0.076, Q8_K 0.089, IQ4_XS 0.097).
// The bounds leave about 2x margin (~3 % and ~4 % of the largest logit).
// F32 has no activation rounding: only float32 sums against float64.
const std::vector<QuantizedType> kTypes{
    {"f32", DType::F32, 1e-4},      {"q8_0", DType::Q8_0, 0.15},   {"q4_0", DType::Q4_0, 0.15},
    {"q4_1", DType::Q4_1, 0.15},    {"q5_0", DType::Q8_0, 0.15},   {"q5_1", DType::Q5_1, 0.15},
    {"iq4_nl", DType::Q8_0, 0.15},  {"q4_k", DType::Q4_K, 0.2},    {"q5_k", DType::Q5_K, 0.2},
    {"q6_k", DType::Q6_K, 0.2},     {"q8_k", DType::Q8_K, 0.2},    {"iq4_xs", DType::IQ4_XS, 0.2},
    {"q4_k_m", DType::Q4_K, 0.2},
};

}  // namespace

TEST_CASE("attn dequantizes every GGUF block type it reads exactly as the numpy reference does") {
  for (const QuantizedType& type : kTypes) {
    CAPTURE(type.name);
    const Checkpoint quantized = load_gguf(quantized_fixture(type.name) / "model.gguf");
    const Checkpoint reference = load_gguf(quantized_fixture(type.name) / "dequantized.gguf");
    REQUIRE(quantized.weights.entries().size() == reference.weights.entries().size());
    std::map<std::string, int> stored;
    for (const auto& [name, entry] : quantized.weights.entries()) {
      CAPTURE(name);
      const Tensor& expected = reference.weights.get(name);
      REQUIRE(expected.dtype() == DType::F32);
      REQUIRE(entry.tensor.shape() == expected.shape());
      ++stored[std::string(dtype_name(entry.tensor.dtype()))];
      const Tensor values = entry.tensor.to_f32();
      // Bit for bit: the same float32 operations in ggml's order.
      CHECK(std::memcmp(values.data(), expected.data(), expected.nbytes()) == 0);
    }
    if (type.name == "q4_k_m") {  // the mix: Q4_K, Q6_K, Q5_0 repacked to Q8_0, F32 norms
      CHECK(stored == std::map<std::string, int>{{"F32", 5}, {"Q4_K", 12}, {"Q6_K", 3}, {"Q8_0", 1}});
    } else {
      CHECK(stored.at(std::string(dtype_name(type.stored))) == (type.stored == DType::F32 ? 21 : 16));  // all 2-D tensors
    }
  }
}

TEST_CASE("logits of quantized GGUFs are within each type's bound of the float64 forward on its weights") {
  for (const QuantizedType& type : kTypes) {
    CAPTURE(type.name);
    const json reference = json::parse(read_file(quantized_fixture(type.name) / "reference.json"));
    const auto ids = reference["ids"].get<std::vector<TokenId>>();
    const auto expected = reference["logits"].get<std::vector<std::vector<double>>>();
    const auto model = Model::load(quantized_fixture(type.name) / "model.gguf");
    Session session(model);
    const auto logits = session.forward(ids, true);
    const int64_t vocab = model->info().vocab_size;
    REQUIRE(static_cast<int64_t>(logits.size()) == vocab * static_cast<int64_t>(ids.size()));
    double worst = 0;
    int agree = 0, decisive = 0;
    for (size_t t = 0; t < ids.size(); ++t) {
      const float* row = logits.data() + t * vocab;
      for (int64_t v = 0; v < vocab; ++v) worst = std::max(worst, std::fabs(row[v] - expected[t][v]));
      std::vector<double> sorted = expected[t];
      const auto top = std::max_element(expected[t].begin(), expected[t].end()) - expected[t].begin();
      std::nth_element(sorted.begin(), sorted.begin() + 1, sorted.end(), std::greater<>());
      const bool same = std::max_element(row, row + vocab) - row == top;
      agree += same;
      // Where the reference's top-1 leads by more than twice the bound, attn must pick it.
      if (sorted[0] - sorted[1] > 2 * type.bound) {
        ++decisive;
        CHECK(same);
      }
    }
    MESSAGE(type.name << ": max |logit - float64| = " << worst << " (bound " << type.bound << "), top-1 agreement "
                      << agree << "/" << ids.size() << " (" << decisive << " decisive)");
    CHECK(worst <= type.bound);
  }
}
