// Q4_0 weights (ggml's block_q4_0): the block quantiser and dequantiser
// against the bytes of ggml's reference algorithm (gen_q4_0_fixtures.py),
// the activation quantiser against ggml's q8_0 rule, the GEMV (scalar and
// AVX2) against a double-precision reference at odd sizes, and
// stories260K --dtype q4_0 end to end: perplexity against f32 (the issue's
// 3 % is not met on this model, see below), top-1 agreement, greedy output
// independent of the thread count; `attn
// quantize --type q4_0` files hold the blocks as U8 and load back the same.
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <random>

#include <nlohmann/json.hpp>

#include "attn/attn.h"
#include "engine/kernels/interleaved_blocks.h"
#include "engine/kernels/kernels.h"
#include "engine/quant_blocks.h"
#include "engine/tensor.h"
#include "engine/weight_conversion.h"
#include "loaders/safetensors.h"
#include "loaders/safetensors_writer.h"
#include "kernel_tables.h"
#include "model_logits.h"
#include "test_support.h"

using namespace attn;
using attn::test::argmax;
using attn::test::load_as;
using attn::test::logits_of;
using attn::test::perplexity;
using attn::test::random_vector;
using attn::test::read_file;
using attn::test::TempDir;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::vector<const kernels::BlockGemv*> q4_0_tables() {
  std::vector<const kernels::BlockGemv*> tables;
  for (const auto* table : attn::test::kernel_tables()) tables.push_back(&table->blocks.q4_0);
  return tables;
}

// The codes and (f16-rounded) scales of q8_0 activation blocks, whose
// sums must be those of their codes.
void split_blocks(const std::vector<kernels::BlockQ8_0Sum>& blocks, std::vector<int8_t>& q, std::vector<float>& scales) {
  for (size_t b = 0; b < blocks.size(); ++b) {
    scales[b] = blocks[b].d;
    CHECK(f16_to_f32(f32_to_f16(scales[b])) == scales[b]);
    std::copy(blocks[b].qs, blocks[b].qs + 32, q.begin() + static_cast<int64_t>(b) * 32);
    int32_t sum = 0;
    for (const int8_t code : blocks[b].qs) sum += code;
    CHECK(blocks[b].sum == sum);
  }
}

std::vector<float> floats_from_bits(const json& bits) {
  std::vector<float> out;
  for (const auto& b : bits) out.push_back(std::bit_cast<float>(b.get<uint32_t>()));
  return out;
}

std::vector<uint8_t> bytes_from_hex(const std::string& hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

// ggml's q8_0 on x86 (quantize_row_q8_0, AVX2 branch): d = max|x| / 127
// stored as f16, q = round_half_even(x * (127 / max|x|)).
void reference_q8_0(const std::vector<float>& x, std::vector<int8_t>& q, std::vector<float>& scales) {
  for (size_t b = 0; b < x.size() / 32; ++b) {
    float amax = 0;
    for (size_t j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[b * 32 + j]));
    const float inverse = amax != 0 ? 127.f / amax : 0.f;
    scales[b] = f16_to_f32(f32_to_f16(amax / 127.f));
    for (size_t j = 0; j < 32; ++j) q[b * 32 + j] = static_cast<int8_t>(std::nearbyint(x[b * 32 + j] * inverse));
  }
}

}  // namespace

TEST_CASE("Q4_0 blocks are byte for byte those of ggml's quantize_row_q4_0_ref, and dequantise as ggml's") {
  const json fixture = json::parse(read_file(attn::test::fixtures_dir() / "q4_0" / "blocks.json"));
  REQUIRE(fixture["cases"].size() >= 8);
  for (const auto& c : fixture["cases"]) {
    CAPTURE(c["name"].get<std::string>());
    const auto values = floats_from_bits(c["values"]);
    const auto expected = bytes_from_hex(c["blocks"]);
    const int64_t k = static_cast<int64_t>(values.size());
    REQUIRE(expected.size() == static_cast<size_t>(k / 32 * 18));
    std::vector<BlockQ4_0> blocks(k / 32);
    quantize_q4_0(values.data(), blocks.data(), k);
    std::vector<uint8_t> bytes(expected.size());
    std::memcpy(bytes.data(), blocks.data(), bytes.size());
    CHECK(bytes == expected);
    std::vector<float> back(k);
    dequantize_q4_0(blocks.data(), back.data(), k);
    const auto expected_back = floats_from_bits(c["dequantized"]);
    for (int64_t i = 0; i < k; ++i) CHECK(std::bit_cast<uint32_t>(back[i]) == std::bit_cast<uint32_t>(expected_back[i]));
    // The weight conversion writes the same blocks, and to_f32 reads them back.
    const Tensor f32(DType::F32, {1, k}, values.data());
    const Tensor q = convert_weight(f32, DType::Q4_0);
    CHECK(q.nbytes() == expected.size());
    CHECK(std::memcmp(q.data(), expected.data(), expected.size()) == 0);
    const Tensor dq = q.to_f32();
    CHECK(std::memcmp(dq.data(), back.data(), k * sizeof(float)) == 0);
  }
}

TEST_CASE("Q4_0: row slices, byte sizes and shapes that do not fit blocks") {
  const auto values = random_vector(3 * 64, 5);
  const Tensor q = convert_weight(Tensor(DType::F32, {3, 64}, values.data()), DType::Q4_0);
  CHECK(q.nbytes() == 3 * 2 * 18);
  const Tensor row = q.slice_rows(1, 2);
  CHECK(static_cast<const std::byte*>(row.data()) - static_cast<const std::byte*>(q.data()) == 36);
  const Tensor all = q.to_f32(), tail = row.to_f32();
  CHECK(std::memcmp(all.data_as<float>() + 64, tail.data(), 128 * sizeof(float)) == 0);
  CHECK_FALSE(can_convert(Tensor(DType::F32, {4, 172}, values.data()), DType::Q4_0));
  CHECK(can_convert(Tensor(DType::F32, {4, 172}, values.data()), DType::I8));
  CHECK_THROWS_AS(Tensor(DType::Q4_0, {4, 40}, values.data()), std::logic_error);
}

TEST_CASE("Q4_0 activation quantiser: ggml's q8_0 rule, identical on every ISA") {
  for (int64_t k : {32, 64, 96, 288, 2080}) {
    CAPTURE(k);
    auto x = random_vector(k, 7 + static_cast<uint32_t>(k), 2.f);
    std::fill(x.begin() + 32, x.begin() + std::min<int64_t>(k, 64), 0.f);  // an all-zero block when k > 32
    x[k - 1] = -9.f;                                                       // a negative extreme maps to -127
    std::vector<int8_t> expected(k);
    std::vector<float> expected_scales(k / 32);
    reference_q8_0(x, expected, expected_scales);
    CHECK(expected[k - 1] == -127);
    for (const kernels::BlockGemv* table : q4_0_tables()) {
      std::vector<int8_t> q(k);
      std::vector<float> scales(k / 32);
      std::vector<kernels::BlockQ8_0Sum> blocks(k / 32);
      table->quantize_activations(x.data(), blocks.data(), k);
      split_blocks(blocks, q, scales);
      CHECK(q == expected);
      CHECK(scales == expected_scales);
    }
  }
}

TEST_CASE("Q4_0 GEMV: double-precision reference at odd sizes, bit-identical across ISAs and row splits") {
  for (auto [rows, k] : {std::pair<int64_t, int64_t>{1, 32}, {3, 96}, {7, 160}, {37, 64}, {13, 352}, {5, 4128}}) {
    CAPTURE(rows);
    CAPTURE(k);
    auto w = random_vector(rows * k, static_cast<uint32_t>(rows * 31 + k), 0.5f);
    auto x = random_vector(k, static_cast<uint32_t>(k), 1.5f);
    // Extremes: a block whose codes are all -8 times activations at +-127.
    for (int64_t i = 0; i < 32; ++i) w[i] = -1.f, x[i] = i % 2 ? -3.f : 3.f;
    const Tensor q = convert_weight(Tensor(DType::F32, {rows, k}, w.data()), DType::Q4_0);
    const Tensor dequantized = q.to_f32();
    std::vector<int8_t> qx(k);
    std::vector<float> x_scales(k / 32);
    reference_q8_0(x, qx, x_scales);

    std::vector<float> first;
    for (const kernels::BlockGemv* table : q4_0_tables()) {
      std::vector<float> y(rows), y_split(rows);
      std::vector<kernels::BlockQ8_0Sum> blocks(k / 32);
      table->quantize_activations(x.data(), blocks.data(), k);
      split_blocks(blocks, qx, x_scales);
      const std::vector<std::byte> w = attn::test::kernel_weights(*table, q);
      table->gemv_rows(w.data(), blocks.data(), y.data(), 0, rows, k);
      for (int64_t begin = 0; begin < rows; begin += 3) {
        table->gemv_rows(w.data(), blocks.data(), y_split.data(), begin, std::min(rows, begin + 3), k);
      }
      CHECK(y_split == y);
      if (first.empty()) first = y;
      CHECK(y == first);  // scalar and AVX2 agree bit for bit
      for (int64_t r = 0; r < rows; ++r) {
        // The kernel's own arithmetic, in double: dequantised weights times
        // dequantised activations. Only the f32 accumulation differs.
        double exact = 0, magnitude = 0, unquantised = 0, bound = 0;
        for (int64_t i = 0; i < k; ++i) {
          const double wi = dequantized.data_as<float>()[r * k + i];
          const double term = wi * qx[i] * x_scales[i / 32];
          exact += term;
          magnitude += std::fabs(term);
          unquantised += wi * x[i];
          // |x - q * d| <= d / 2 plus d's own f16 rounding (2^-11 relative, times 127).
          bound += std::fabs(wi) * x_scales[i / 32] * (0.5 + 128.0 / 2048);
        }
        // f32 rounding of ~k / 256 accumulations per lane, and of d_w * d_x.
        CHECK(std::fabs(y[r] - exact) <= 1e-5 * magnitude + 1e-30);
        CHECK(std::fabs(y[r] - unquantised) <= bound + 1e-5 * magnitude);
      }
    }
  }
}

namespace {

const fs::path kStories = attn::test::shared_dir() / "models" / "stories260K";
const fs::path kStoriesHf = attn::test::shared_dir() / "models" / "stories260K-hf";

}  // namespace

// The issue asks for perplexity within 3 % of f32; on this 64-wide model Q4_0
// weights cost more than that whatever the engine: the float64 torch
// reference with the same Q4_0 weights (q4_0/perplexity.json) measures
// +6.1 % and +10.0 %, and attn (a Q8_0 LM head as llama.cpp picks it, q8_0
// activations) +6.2 % and +10.1 %. attn is checked against that reference; the 11 % bound guards the
// measurement, it is not the target.
TEST_CASE("Q4_0 stories260K: perplexity on the llama2.c greedy texts within 11 % of f32, prefill and decode") {
  const auto f32 = load_as(kStoriesHf, std::nullopt);
  const auto q4 = load_as(kStoriesHf, DType::Q4_0);
  // Every Linear but the 172-wide down projections (not a multiple of 32)
  // and the LM head (Q8_0 with the tied embedding table: llama.cpp's Q6_K
  // for output.weight, which falls back to Q8_0 on rows of 64).
  CHECK(q4->info().parameters_by_dtype.at("Q4_0") == 5 * (64 + 32 + 32 + 64 + 172 + 172) * 64);
  CHECK(q4->info().parameters_by_dtype.at("Q8_0") == 512 * 64);
  CHECK(q4->info().parameters_by_dtype.at("F32") == 11 * 64 + 5 * 64 * 172);
  const json torch_reference =
      json::parse(read_file(attn::test::fixtures_dir() / "q4_0" / "perplexity.json"))["texts"];
  for (std::string name : {"runc_greedy_n256_Once_upon_a_time.txt",
                           "runc_greedy_n256_Lily_and_Tom_went_to_the_park.txt", "runc_greedy_n256_EMPTY.txt"}) {
    CAPTURE(name);
    const auto ids = f32->tokenizer().encode(read_file(kStories / "reference" / name));
    REQUIRE(ids.size() > 100);
    const auto f32_logits = logits_of(f32, ids, false);
    const double reference = perplexity(f32_logits, ids);
    const auto prefill = logits_of(q4, ids, false);
    // Prefill runs the decode kernel over tiles of rows, so the two paths
    // differ only where f32 does (attention, and the f32 down projections:
    // oneDNN in prefill, the GEMV in decode; ~1e-6), which can flip the
    // rounding of an activation code; over 258 tokens logits (~20) move by
    // up to 0.33 (0.16 before Q4_0's rows were interleaved, which changed
    // where such flips fall), and perplexity by far less.
    const auto decode = logits_of(q4, ids, true);
    CHECK(attn::test::max_abs_diff(prefill, decode) < 0.5f);
    CHECK(perplexity(decode, ids) == doctest::Approx(perplexity(prefill, ids)).epsilon(0.005));
    const double quantized = perplexity(prefill, ids);
    const size_t vocab = f32->info().vocab_size;
    size_t agree = 0;
    for (size_t p = 0; p < ids.size(); ++p) {
      agree += argmax(prefill.data() + p * vocab, vocab) == argmax(f32_logits.data() + p * vocab, vocab);
    }
    MESSAGE(name << ": ppl f32 " << reference << ", q4_0 " << quantized << " (" << (quantized / reference - 1) * 100
                 << " %); top-1 agrees with f32 at " << agree << " of " << ids.size());
    CHECK(std::fabs(quantized / reference - 1) < 0.11);
    if (torch_reference.contains(name)) {
      CHECK(reference == doctest::Approx(torch_reference[name]["f32"].get<double>()).epsilon(1e-4));
      CHECK(quantized == doctest::Approx(torch_reference[name]["q4_0_weights"].get<double>()).epsilon(0.015));
    }
    CHECK(agree >= 0.82 * ids.size());  // measured 217-232 of 258
  }
}

TEST_CASE("Q4_0 fixtures: top-1 agreement with the float64 reference is reported, >= 85 %") {
  const fs::path dir = attn::test::fixtures_dir() / "llama";
  const json reference = json::parse(read_file(dir / "reference.json"));
  int positions = 0, agree = 0;
  for (const auto& fixture : reference["fixtures"]) {
    const auto model = load_as(dir / fixture["dir"].get<std::string>(), DType::Q4_0);
    for (const auto& c : fixture["cases"]) {
      auto ids = c["input_ids"].get<std::vector<TokenId>>();
      auto expected = c["argmax_per_position"].get<std::vector<int>>();
      const auto greedy = c["greedy_continuation_16"].get<std::vector<TokenId>>();
      ids.insert(ids.end(), greedy.begin(), greedy.end() - 1);
      expected.insert(expected.end(), greedy.begin() + 1, greedy.end());
      const auto logits = logits_of(model, ids, false);
      const size_t vocab = model->info().vocab_size;
      for (size_t p = 0; p < ids.size(); ++p, ++positions) agree += argmax(logits.data() + p * vocab, vocab) == expected[p];
    }
  }
  MESSAGE("Q4_0 fixtures: top-1 agrees with the float64 reference at " << agree << " of " << positions << " positions");
  CHECK(positions >= 300);
  CHECK(agree >= 0.85 * positions);  // measured 272 of 310 (int8: 306)
}

TEST_CASE("Q4_0 prefill and decode: bit-identical while every Linear takes the GEMV, within a code flip after") {
  const auto q4 = load_as(kStoriesHf, DType::Q4_0);
  std::vector<TokenId> ids{1, 403, 407, 261, 378, 300, 42, 17};
  // Up to 8 rows every Linear, the f32 down projections included, runs
  // its GEMV kernel, as in decode: the logits are equal.
  CHECK(logits_of(q4, ids, false) == logits_of(q4, ids, true));
  // From 9 rows they run oneDNN, ~1e-6 from the GEMV, which flips the
  // rounding of one activation code of token 5 (measured 0.016).
  ids.push_back(99);
  CHECK(attn::test::max_abs_diff(logits_of(q4, ids, false), logits_of(q4, ids, true)) < 0.05f);
}

TEST_CASE("Q4_0 greedy output is identical at 1 and 2 threads") {
  const auto q4 = load_as(kStoriesHf, DType::Q4_0);
  auto run = [&](int threads) {
    set_num_threads(threads);
    Session session(q4);
    GenerateOptions options;
    options.sampling.temperature = 0;
    options.max_length = 96;
    return generate(session, "Once upon a time", options).tokens;
  };
  const auto one = run(1), two = run(2);
  set_num_threads(0);
  CHECK(one.size() > 40);
  CHECK(one == two);
}

TEST_CASE("quantize_model --type q4_0 writes ggml's blocks as U8 tensors and loads back as --dtype q4_0") {
  TempDir out;
  quantize_model(kStoriesHf, out.path(), {DType::Q4_0, std::nullopt});
  const json config = json::parse(read_file(out / "config.json"));
  CHECK(config["quantization"]["quant_method"] == "attn-ggml-blocks");
  const SafetensorsFile file = read_safetensors(out / "model.safetensors");
  const auto converted = load_as(kStoriesHf, DType::Q4_0);
  bool found = false;
  for (const auto& [name, tensor] : file.tensors) {
    if (name != "model.layers.0.self_attn.q_proj.weight") continue;
    found = true;
    CHECK(tensor.dtype() == DType::U8);
    CHECK(tensor.shape() == Shape{64, 2 * 18});
    // The bytes are quantize_row_q4_0_ref's blocks of the f32 weight.
    const SafetensorsFile original = read_safetensors(kStoriesHf / "model.safetensors");
    for (const auto& [source_name, source] : original.tensors) {
      if (source_name != name) continue;
      std::vector<BlockQ4_0> blocks(64 * 2);
      for (int64_t r = 0; r < 64; ++r) quantize_q4_0(source.data_as<float>() + r * 64, blocks.data() + r * 2, 64);
      CHECK(std::memcmp(blocks.data(), tensor.data(), blocks.size() * 18) == 0);
    }
  }
  CHECK(found);
  const auto written = Model::load(out.path());
  CHECK(written->info().parameters_by_dtype == converted->info().parameters_by_dtype);
  CHECK(written->info().weight_bytes == converted->info().weight_bytes);
  const std::vector<TokenId> ids{1, 403, 407, 261, 378, 300, 42};
  for (bool decode : {false, true}) CHECK(logits_of(written, ids, decode) == logits_of(converted, ids, decode));
}

TEST_CASE("damaged Q4_0 checkpoints fail with a message naming the problem") {
  TempDir good;
  quantize_model(kStoriesHf, good.path(), {DType::Q4_0, std::nullopt});
  const SafetensorsFile file = read_safetensors(good / "model.safetensors");
  const json config = json::parse(read_file(good / "config.json"));
  const std::string weight = "model.layers.0.self_attn.q_proj.weight";
  auto error_of = [&](auto edit_tensors, const json& edited_config) -> std::string {
    TempDir dir;
    fs::copy_file(good / "tokenizer.model", dir / "tokenizer.model");
    std::vector<std::pair<std::string, Tensor>> tensors(file.tensors.begin(), file.tensors.end());
    edit_tensors(tensors);
    write_safetensors(dir / "model.safetensors", tensors);
    attn::test::write_file(dir / "config.json", edited_config.dump());
    try {
      Model::load(dir.path());
    } catch (const Error& e) {
      return e.what();
    }
    return "(loaded)";
  };
  json no_entry = config;
  no_entry.erase("quantization");
  const std::string missing = error_of([](auto&) {}, no_entry);
  CHECK(missing.find("U8 tensors") != std::string::npos);
  CHECK(missing.find("attn-ggml-blocks") != std::string::npos);
  auto torn = [&](auto& tensors) {
    for (auto& [name, tensor] : tensors) {
      if (name == weight) tensor = Tensor(DType::U8, {64, 35}, tensor.data());
    }
  };
  const std::string misshapen = error_of(torn, config);
  CHECK(misshapen.find("'" + weight + "' must be U8 [rows, blocks * 18], but is [64, 35]") != std::string::npos);
}
