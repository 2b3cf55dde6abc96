// Checkpoint loaders: llama2.c .bin, safetensors (reader and writer) and
// Hugging Face directories, against the shared stories260K checkpoints, plus
// every malformed-input path.
#include <doctest/doctest.h>

#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attn/error.h"
#include "attn/model.h"
#include "loaders/checkpoint.h"
#include "loaders/safetensors.h"
#include "loaders/safetensors_writer.h"
#include "test_support.h"

namespace {

namespace fs = std::filesystem;
using attn::Checkpoint;
using attn::DType;
using attn::Shape;
using attn::Tensor;
using attn::test::read_file;
using attn::test::TempDir;
using attn::test::write_file;
using nlohmann::json;
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

const fs::path kBin = attn::test::shared_dir() / "models/stories260K/stories260K.bin";
const fs::path kHfDir = attn::test::shared_dir() / "models/stories260K-hf";
constexpr int64_t kDim = 64, kHidden = 172, kLayers = 5, kHeads = 8, kKvHeads = 4, kVocab = 512;
constexpr int64_t kHeadDim = kDim / kHeads, kKvDim = kHeadDim * kKvHeads;
constexpr size_t kBinBytes = 1056540;

// The message of the attn::Error `action` throws, or a marker when it throws none.
std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const attn::Error& e) {
    return e.what();
  }
  return "(no attn::Error thrown)";
}

void check_mentions(const std::string& message, std::initializer_list<std::string> parts) {
  for (const std::string& part : parts) {
    CHECK_MESSAGE(message.find(part) != std::string::npos, "'", part, "' not in: ", message);
  }
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.nbytes()) == 0;
}

// Every tensor name and shape a Llama checkpoint of stories260K's size has.
std::map<std::string, Shape> expected_llama_shapes() {
  std::map<std::string, Shape> shapes = {{"model.embed_tokens.weight", {kVocab, kDim}},
                                         {"model.norm.weight", {kDim}}};
  for (int64_t l = 0; l < kLayers; ++l) {
    const std::string prefix = "model.layers." + std::to_string(l) + ".";
    shapes[prefix + "input_layernorm.weight"] = {kDim};
    shapes[prefix + "post_attention_layernorm.weight"] = {kDim};
    shapes[prefix + "self_attn.q_proj.weight"] = {kDim, kDim};
    shapes[prefix + "self_attn.k_proj.weight"] = {kKvDim, kDim};
    shapes[prefix + "self_attn.v_proj.weight"] = {kKvDim, kDim};
    shapes[prefix + "self_attn.o_proj.weight"] = {kDim, kDim};
    shapes[prefix + "mlp.gate_proj.weight"] = {kHidden, kDim};
    shapes[prefix + "mlp.up_proj.weight"] = {kHidden, kDim};
    shapes[prefix + "mlp.down_proj.weight"] = {kDim, kHidden};
  }
  return shapes;
}

void check_llama_shapes(const attn::WeightStore& weights) {
  const auto expected = expected_llama_shapes();
  CHECK(weights.size() == expected.size());
  for (const auto& [name_key, shape] : expected) {
    const std::string& name = name_key;
    CAPTURE(name);
    REQUIRE(weights.contains(name));
    CHECK(weights.get(name).dtype() == DType::F32);
    CHECK(weights.get(name).shape() == shape);
  }
}

// Hugging Face stores each q/k head's rows as [all real parts, all imaginary
// parts] (rotate-half RoPE); llama2.c interleaves them as (real, imag) pairs.
// Export scripts permute with w.view(heads, head_dim/2, 2, in).transpose(1, 2),
// so HF row h*hd + p*hd/2 + j holds llama2.c row h*hd + 2*j + p.
bool is_rotate_half_permutation(const Tensor& interleaved, const Tensor& rotate_half) {
  if (interleaved.shape() != rotate_half.shape()) return false;
  const int64_t rows = interleaved.dim(0), cols = interleaved.dim(1);
  for (int64_t head = 0; head < rows / kHeadDim; ++head) {
    for (int64_t p = 0; p < 2; ++p) {
      for (int64_t j = 0; j < kHeadDim / 2; ++j) {
        const float* hf = rotate_half.data_as<float>() + (head * kHeadDim + p * kHeadDim / 2 + j) * cols;
        const float* bin = interleaved.data_as<float>() + (head * kHeadDim + 2 * j + p) * cols;
        if (std::memcmp(hf, bin, cols * sizeof(float)) != 0) return false;
      }
    }
  }
  return true;
}

Tensor convert(const Tensor& f32, DType dtype) {
  Tensor out = Tensor::zeros(dtype, f32.shape());
  const auto convert_one = dtype == DType::F16 ? attn::f32_to_f16 : attn::f32_to_bf16;
  for (int64_t i = 0; i < f32.numel(); ++i) out.mutable_data_as<uint16_t>()[i] = convert_one(f32.data_as<float>()[i]);
  return out;
}

NamedTensors hf_tensors(DType dtype) {
  NamedTensors tensors;
  for (const auto& [name, tensor] : attn::read_safetensors(kHfDir / "model.safetensors").tensors) {
    tensors.emplace_back(name, dtype == DType::F32 ? tensor : convert(tensor, dtype));
  }
  return tensors;
}

// Makes `dir` a Hugging Face directory once weights are written beside the config.
void copy_config(const TempDir& dir) {
  fs::copy_file(kHfDir / "config.json", dir / "config.json");
}

std::string le_bytes(uint64_t value, size_t count) {
  std::string bytes(count, '\0');
  std::memcpy(bytes.data(), &value, count);
  return bytes;
}

// A safetensors file with a hand-written header (its length prefix correct
// unless `length` overrides it) followed by `data`.
fs::path write_raw_safetensors(const TempDir& dir, const std::string& header, const std::string& data = "",
                               std::optional<uint64_t> length = std::nullopt) {
  const fs::path path = dir / "bad.safetensors";
  write_file(path, le_bytes(length.value_or(header.size()), 8) + header + data);
  return path;
}

std::string safetensors_error(const TempDir& dir, const std::string& header, const std::string& data = "",
                              std::optional<uint64_t> length = std::nullopt) {
  const fs::path path = write_raw_safetensors(dir, header, data, length);
  return error_of([&] { attn::read_safetensors(path); });
}

std::string bin_with_header_field(int field, int32_t value) {
  std::string bytes = read_file(kBin);
  std::memcpy(bytes.data() + field * sizeof(int32_t), &value, sizeof value);
  return bytes;
}

std::string load_error(const fs::path& path) {
  return error_of([&] { attn::load_checkpoint(path); });
}

}  // namespace

TEST_CASE("llama2.c: stories260K.bin loads with an HF-style config and every tensor") {
  const Checkpoint checkpoint = attn::load_checkpoint(kBin);
  CHECK(checkpoint.format == "llama2.c");
  CHECK(checkpoint.path == kBin);
  CHECK_FALSE(checkpoint.tokenizer.has_value());  // its tokenizer is tok512.model, not tokenizer.model
  check_mentions(checkpoint.weights.description(), {"stories260K.bin", "llama2.c checkpoint"});

  const json& config = checkpoint.config;
  CHECK(config["architectures"] == json::array({"LlamaForCausalLM"}));
  CHECK(config["model_type"] == "llama");
  CHECK(config["hidden_size"] == kDim);
  CHECK(config["intermediate_size"] == kHidden);
  CHECK(config["num_hidden_layers"] == kLayers);
  CHECK(config["num_attention_heads"] == kHeads);
  CHECK(config["num_key_value_heads"] == kKvHeads);
  CHECK(config["vocab_size"] == kVocab);
  CHECK(config["max_position_embeddings"] == 512);
  CHECK(config["rms_norm_eps"] == 1e-5);
  CHECK(config["rope_theta"] == 10000.0);
  CHECK(config["tie_word_embeddings"] == true);
  CHECK(config["bos_token_id"] == 1);
  CHECK(config["eos_token_id"] == 2);
  CHECK(config["rope_interleaved"] == true);
  CHECK(config["generation"]["eos_token_id"] == json::array({2, 1}));

  check_llama_shapes(checkpoint.weights);
  CHECK_FALSE(checkpoint.weights.contains("lm_head.weight"));
  CHECK(checkpoint.weights.source_of("model.norm.weight") == kBin.string());

  // Spot-check the offsets: the first embedding value follows the header,
  // the final norm sits before the legacy RoPE tables at the end.
  const std::string bytes = read_file(kBin);
  const size_t rope_tables = 2 * 512 * kHeadDim / 2 * sizeof(float);
  CHECK(std::memcmp(checkpoint.weights.get("model.embed_tokens.weight").data(), bytes.data() + 28, 4) == 0);
  CHECK(std::memcmp(checkpoint.weights.get("model.norm.weight").data(),
                    bytes.data() + bytes.size() - rope_tables - kDim * sizeof(float), kDim * sizeof(float)) == 0);
}

TEST_CASE("llama2.c: tokenizer.model beside the file is found, and an override wins") {
  TempDir dir;
  fs::copy_file(kBin, dir / "model.bin");
  CHECK_FALSE(attn::load_checkpoint(dir / "model.bin").tokenizer.has_value());
  fs::copy_file(kHfDir / "tokenizer.model", dir / "tokenizer.model");
  CHECK(attn::load_checkpoint(dir / "model.bin").tokenizer == dir / "tokenizer.model");
  CHECK(attn::load_checkpoint(dir / "model.bin", fs::path("/elsewhere/tok.model")).tokenizer ==
        fs::path("/elsewhere/tok.model"));
}

TEST_CASE("llama2.c: a negative vocab size means an unshared classifier at the end") {
  TempDir dir;
  std::vector<float> wcls(kVocab * kDim);
  for (size_t i = 0; i < wcls.size(); ++i) wcls[i] = static_cast<float>(i) * 0.25f - 1000.0f;
  write_file(dir / "unshared.bin", bin_with_header_field(5, -kVocab) +
                                       std::string(reinterpret_cast<const char*>(wcls.data()), wcls.size() * 4));

  const Checkpoint checkpoint = attn::load_checkpoint(dir / "unshared.bin");
  CHECK(checkpoint.config["tie_word_embeddings"] == false);
  CHECK(checkpoint.config["vocab_size"] == kVocab);
  const Tensor& lm_head = checkpoint.weights.get("lm_head.weight", {kVocab, kDim});
  CHECK(std::memcmp(lm_head.data(), wcls.data(), wcls.size() * sizeof(float)) == 0);
  const Checkpoint shared = attn::load_checkpoint(kBin);
  CHECK(same_bytes(checkpoint.weights.get("model.embed_tokens.weight"), shared.weights.get("model.embed_tokens.weight")));
  CHECK(same_bytes(checkpoint.weights.get("model.norm.weight"), shared.weights.get("model.norm.weight")));
}

TEST_CASE("llama2.c: a truncated or padded .bin names expected and actual sizes") {
  TempDir dir;
  const std::string bytes = read_file(kBin);
  REQUIRE(bytes.size() == kBinBytes);
  const fs::path path = dir / "cut.bin";
  for (size_t size : {size_t{0}, size_t{3}, size_t{27}}) {
    write_file(path, bytes.substr(0, size));
    check_mentions(load_error(path), {"cut.bin", std::to_string(size) + " bytes", "28-byte", "truncated"});
  }
  for (size_t size : {size_t{28}, size_t{1000}, kBinBytes / 2, kBinBytes - 4}) {
    write_file(path, bytes.substr(0, size));
    check_mentions(load_error(path), {"cut.bin", "implies 1056540 bytes", "has " + std::to_string(size) + " bytes",
                                      "truncated"});
  }
  write_file(path, bytes + "0000");
  check_mentions(load_error(path), {"cut.bin", "implies 1056540 bytes", "has 1056544 bytes", "too long"});
}

TEST_CASE("llama2.c: a garbage header is rejected, never trusted") {
  TempDir dir;
  const fs::path path = dir / "garbage.bin";
  struct Case {
    int field;
    int32_t value;
    const char* problem;
  };
  for (const Case& c : {Case{0, 0, "must be positive"}, Case{2, -5, "must be positive"},
                        Case{5, 0, "must be positive"}, Case{5, INT32_MIN, "implies"}, Case{3, 7, "dim is not a multiple of n_heads"},
                        Case{4, 3, "n_heads is not a multiple of n_kv_heads"}, Case{3, 64, "odd"},
                        Case{1, INT32_MAX, "implies"}, Case{0, 0x616b3432, "version"}}) {
    CAPTURE(c.field);
    CAPTURE(c.value);
    write_file(path, bin_with_header_field(c.field, c.value));
    check_mentions(load_error(path), {"garbage.bin", c.problem});
  }
  // Sizes near INT32_MAX whose products overflow 64 bits must still be reported, not wrapped.
  const int32_t huge[7] = {1 << 30, INT32_MAX, INT32_MAX, 2, 2, INT32_MAX, INT32_MAX};
  write_file(path, std::string(reinterpret_cast<const char*>(huge), sizeof huge) + "rest");
  check_mentions(load_error(path), {"garbage.bin", "implies", "has 32 bytes"});
}

TEST_CASE("huggingface: stories260K-hf loads and matches the .bin") {
  const Checkpoint hf = attn::load_checkpoint(kHfDir);
  const Checkpoint bin = attn::load_checkpoint(kBin);
  CHECK(hf.format == "huggingface");
  CHECK(hf.tokenizer == kHfDir);
  CHECK(hf.config["num_key_value_heads"] == kKvHeads);
  CHECK(hf.config["generation"]["eos_token_id"] == 2);
  CHECK_FALSE(hf.config.contains("rope_interleaved"));
  check_mentions(hf.weights.description(), {"stories260K-hf", "huggingface checkpoint"});
  check_llama_shapes(hf.weights);

  for (const auto& [name_key, entry] : bin.weights.entries()) {
    const std::string& name = name_key;
    CAPTURE(name);
    const Tensor& hf_tensor = hf.weights.get(name);
    const bool rotary = name.find("q_proj") != std::string::npos || name.find("k_proj") != std::string::npos;
    if (rotary) {
      CHECK_FALSE(same_bytes(entry.tensor, hf_tensor));
      CHECK(is_rotate_half_permutation(entry.tensor, hf_tensor));
    } else {
      CHECK(same_bytes(entry.tensor, hf_tensor));
    }
  }
}

TEST_CASE("huggingface: tokenizer override wins over the directory") {
  CHECK(attn::load_checkpoint(kHfDir, fs::path("/x/tokenizer.json")).tokenizer == fs::path("/x/tokenizer.json"));
}

TEST_CASE("safetensors: what the writer writes, the reader reads back") {
  TempDir dir;
  copy_config(dir);

  SUBCASE("F32, metadata, spec-conformant header") {
    const NamedTensors tensors = hf_tensors(DType::F32);
    attn::write_safetensors(dir / "model.safetensors", tensors, {{"format", "pt"}});
    const std::string bytes = read_file(dir / "model.safetensors");
    uint64_t header_length;
    std::memcpy(&header_length, bytes.data(), 8);
    CHECK(header_length % 8 == 0);
    CHECK(bytes[8] == '{');
    CHECK(attn::read_safetensors(dir / "model.safetensors").metadata ==
          std::map<std::string, std::string>{{"format", "pt"}});

    const Checkpoint loaded = attn::load_checkpoint(dir.path());
    REQUIRE(loaded.weights.size() == tensors.size());
    for (const auto& [name_key, tensor] : tensors) {
      const std::string& name = name_key;
      CAPTURE(name);
      CHECK(same_bytes(loaded.weights.get(name), tensor));
    }
  }

  SUBCASE("F16 and BF16 keep their bits and round the original to nearest") {
    for (DType dtype : {DType::F16, DType::BF16}) {
      CAPTURE(attn::dtype_name(dtype));
      attn::write_safetensors(dir / "model.safetensors", hf_tensors(dtype));
      const Checkpoint loaded = attn::load_checkpoint(dir.path());
      // Half the unit in the last place: 2^-11 for f16's 10 mantissa bits, 2^-8 for bf16's 7.
      const float tolerance = dtype == DType::F16 ? 0x1p-11f : 0x1p-8f;
      for (const auto& [name_key, original] : hf_tensors(DType::F32)) {
        const std::string& name = name_key;
        CAPTURE(name);
        const Tensor& tensor = loaded.weights.get(name);
        CHECK(same_bytes(tensor, convert(original, dtype)));
        const Tensor values = tensor.to_f32();
        for (int64_t i = 0; i < original.numel(); ++i) {
          const float expected = original.data_as<float>()[i];
          // Absolute floor for f16 subnormals, whose spacing is 2^-24.
          REQUIRE(std::fabs(values.data_as<float>()[i] - expected) <= std::fabs(expected) * tolerance + 0x1p-25f);
        }
      }
    }
  }

  SUBCASE("two shards with model.safetensors.index.json") {
    NamedTensors shards[2];
    json weight_map = json::object();
    const std::string names[2] = {"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"};
    const NamedTensors tensors = hf_tensors(DType::F32);
    for (size_t i = 0; i < tensors.size(); ++i) {
      shards[i % 2].push_back(tensors[i]);
      weight_map[tensors[i].first] = names[i % 2];
    }
    for (int s = 0; s < 2; ++s) attn::write_safetensors(dir / names[s], shards[s]);
    write_file(dir / "model.safetensors.index.json", json{{"metadata", json::object()}, {"weight_map", weight_map}}.dump());

    const Checkpoint loaded = attn::load_checkpoint(dir.path());
    REQUIRE(loaded.weights.size() == tensors.size());
    for (size_t i = 0; i < tensors.size(); ++i) {
      CAPTURE(tensors[i].first);
      CHECK(same_bytes(loaded.weights.get(tensors[i].first), tensors[i].second));
      CHECK(loaded.weights.source_of(tensors[i].first) == (dir / names[i % 2]).string());
    }
  }
}

TEST_CASE("safetensors: the writer refuses duplicate names") {
  TempDir dir;
  const Tensor t = Tensor::zeros(DType::F32, {2});
  check_mentions(error_of([&] { attn::write_safetensors(dir / "dup.safetensors", {{"a", t}, {"a", t}}); }),
                 {"dup.safetensors", "'a'", "twice"});
  check_mentions(error_of([&] { attn::write_safetensors(dir / "no-such-dir" / "x.safetensors", {{"a", t}}); }),
                 {"x.safetensors", "cannot write"});
}

TEST_CASE("safetensors: an unpadded header still yields aligned tensors") {
  TempDir dir;
  const float values[2] = {1.5f, -2.25f};
  // Padded so the data section starts one byte past a 4-byte boundary.
  std::string header = R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  while ((8 + header.size()) % 4 != 1) header += ' ';
  const auto file = attn::read_safetensors(
      write_raw_safetensors(dir, header, std::string(reinterpret_cast<const char*>(values), sizeof values)));
  const Tensor& x = file.tensors.at("x");
  CHECK(reinterpret_cast<uintptr_t>(x.data()) % 4 == 0);
  CHECK(x.data_as<float>()[0] == 1.5f);
  CHECK(x.data_as<float>()[1] == -2.25f);
}

TEST_CASE("safetensors: every corruption is a clear error") {
  TempDir dir;
  const std::string f32x2 = R"("dtype":"F32","shape":[2])";

  SUBCASE("too short for the length prefix") {
    write_file(dir / "bad.safetensors", "abc");
    check_mentions(error_of([&] { attn::read_safetensors(dir / "bad.safetensors"); }),
                   {"bad.safetensors", "3 bytes", "8-byte header length"});
  }
  SUBCASE("header length absurd or past the end") {
    check_mentions(safetensors_error(dir, "{}", "", uint64_t{1} << 40), {"bad.safetensors", "absurd"});
    check_mentions(safetensors_error(dir, "{}", "", 1000), {"bad.safetensors", "exceeds"});
  }
  SUBCASE("header not JSON or not an object") {
    check_mentions(safetensors_error(dir, "{not json"), {"bad.safetensors", "not valid JSON"});
    check_mentions(safetensors_error(dir, "[1, 2]"), {"bad.safetensors", "not an object"});
    check_mentions(safetensors_error(dir, R"({"w": 5})"), {"bad.safetensors", "'w'", "not an object"});
  }
  SUBCASE("entry missing a field") {
    check_mentions(safetensors_error(dir, R"({"w":{"shape":[2],"data_offsets":[0,8]}})", std::string(8, '\0')),
                   {"bad.safetensors", "'w'", "\"dtype\""});
    check_mentions(safetensors_error(dir, R"({"w":{"dtype":"F32","data_offsets":[0,8]}})", std::string(8, '\0')),
                   {"bad.safetensors", "'w'", "\"shape\""});
    check_mentions(safetensors_error(dir, R"({"w":{)" + f32x2 + "}}", std::string(8, '\0')),
                   {"bad.safetensors", "'w'", "\"data_offsets\""});
  }
  SUBCASE("bad shapes") {
    check_mentions(safetensors_error(dir, R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})"),
                   {"bad.safetensors", "'w'", "negative"});
    check_mentions(safetensors_error(dir, R"({"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,8]}})"),
                   {"bad.safetensors", "'w'", "non-integer"});
    check_mentions(safetensors_error(dir, R"({"w":{"dtype":"F32","shape":"2","data_offsets":[0,8]}})"),
                   {"bad.safetensors", "'w'", "not an array"});
  }
  SUBCASE("bad offsets") {
    const std::string data(8, '\0');
    check_mentions(safetensors_error(dir, R"({"w":{)" + f32x2 + R"(,"data_offsets":[0,16]}})", data),
                   {"bad.safetensors", "'w'", "past the end"});
    check_mentions(safetensors_error(dir, R"({"w":{)" + f32x2 + R"(,"data_offsets":[8,0]}})", data),
                   {"bad.safetensors", "'w'", "begin <= end"});
    check_mentions(safetensors_error(dir, R"({"w":{)" + f32x2 + R"(,"data_offsets":[0]}})", data),
                   {"bad.safetensors", "'w'", "data_offsets"});
    check_mentions(safetensors_error(dir, R"({"w":{)" + f32x2 + R"(,"data_offsets":[-8,0]}})", data),
                   {"bad.safetensors", "'w'", "data_offsets"});
    check_mentions(safetensors_error(dir, R"({"a":{)" + f32x2 + R"(,"data_offsets":[0,8]},"b":{)" + f32x2 +
                                              R"(,"data_offsets":[4,12]}})",
                                     std::string(12, '\0')),
                   {"bad.safetensors", "'a'", "'b'", "overlap"});
  }
  SUBCASE("byte count does not match shape and dtype") {
    check_mentions(safetensors_error(dir, R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})",
                                     std::string(8, '\0')),
                   {"bad.safetensors", "'w'", "spans 8 bytes", "needs 12 bytes"});
    check_mentions(safetensors_error(dir, R"({"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}})",
                                     std::string(8, '\0')),
                   {"bad.safetensors", "'w'", "more than 2^64"});
  }
  SUBCASE("a shape that holds no bytes but cannot be addressed (review: UBSan in Tensor's stride loop)") {
    check_mentions(safetensors_error(dir, R"({"w":{"dtype":"F32","shape":[0,4611686018427387904,4611686018427387904],"data_offsets":[0,0]}})"),
                   {"bad.safetensors", "'w'", "too large to address"});
  }
  SUBCASE("a number too large for a double (review: json out_of_range escaped as an internal error)") {
    check_mentions(safetensors_error(dir, R"({"w":{"dtype":"F32","shape":[1e5360],"data_offsets":[0,0]}})"),
                   {"bad.safetensors", "not valid JSON", "number overflow"});
  }
  SUBCASE("unsupported dtype") {
    check_mentions(safetensors_error(dir, R"({"mask":{"dtype":"BOOL","shape":[8],"data_offsets":[0,8]}})",
                                     std::string(8, '\0')),
                   {"bad.safetensors", "'mask'", "dtype BOOL", "F32, F16, BF16"});
  }
  SUBCASE("metadata not strings") {
    check_mentions(safetensors_error(dir, R"({"__metadata__":{"format":1}})"),
                   {"bad.safetensors", "__metadata__", "format"});
  }
  SUBCASE("a real file cut short") {
    const std::string bytes = read_file(kHfDir / "model.safetensors");
    write_file(dir / "bad.safetensors", bytes.substr(0, bytes.size() / 2));
    check_mentions(error_of([&] { attn::read_safetensors(dir / "bad.safetensors"); }),
                   {"bad.safetensors", "past the end"});
  }
}

// Whatever bytes are cut or flipped, reading either succeeds or throws
// attn::Error; AddressSanitizer builds catch any out-of-bounds read.
TEST_CASE("safetensors: truncated and bit-flipped files never crash the reader") {
  TempDir dir;
  const fs::path path = dir / "fuzz.safetensors";
  const std::string bytes = read_file(kHfDir / "model.safetensors");
  auto read_or_error = [&](const std::string& contents) {
    write_file(path, contents);
    try {
      attn::read_safetensors(path);
    } catch (const attn::Error& e) {
      CHECK(std::string(e.what()).find("fuzz.safetensors") != std::string::npos);
    }
  };
  for (size_t size = 0; size < 5000; size += 37) read_or_error(bytes.substr(0, size));
  for (size_t at = 0; at < 5000; at += 7) {
    std::string flipped = bytes.substr(0, 20000);
    flipped[at] = static_cast<char>(flipped[at] ^ 0x5a);
    read_or_error(flipped);
  }
}

TEST_CASE("huggingface: directory errors name the file and the fix") {
  TempDir dir;
  SUBCASE("missing config.json") {
    fs::copy_file(kHfDir / "model.safetensors", dir / "model.safetensors");
    check_mentions(load_error(dir.path()), {dir.path().string(), "no config.json"});
  }
  SUBCASE("config.json or generation_config.json not JSON") {
    write_file(dir / "config.json", "{\"hidden_size\": ");
    check_mentions(load_error(dir.path()), {"config.json", "not valid JSON"});
  }
  SUBCASE("generation_config.json not JSON") {
    copy_config(dir);
    write_file(dir / "generation_config.json", "[1,");
    check_mentions(load_error(dir.path()), {"generation_config.json", "not valid JSON"});
  }
  SUBCASE("a number too large for a double in config.json or generation_config.json") {
    write_file(dir / "config.json", R"({"hidden_size": 1e5360})");
    check_mentions(load_error(dir.path()), {"config.json", "not valid JSON", "number overflow"});
    fs::remove(dir / "config.json");
    copy_config(dir);
    write_file(dir / "generation_config.json", R"({"temperature": -1e5360})");
    check_mentions(load_error(dir.path()), {"generation_config.json", "not valid JSON", "number overflow"});
  }
  SUBCASE("a GPT-2 n_embd whose default n_inner (4 * n_embd) is no int (fuzz_gguf finding: UBSan overflow)") {
    write_file(dir / "config.json", R"({"model_type":"gpt2","architectures":["GPT2LMHeadModel"],"n_embd":721420296,)"
                                    R"("n_layer":1,"n_head":1,"vocab_size":8,"n_positions":8})");
    attn::write_safetensors(dir / "model.safetensors", {{"wte.weight", Tensor::zeros(DType::F32, {2})}});
    check_mentions(error_of([&] { attn::Model::load(dir.path()); }), {"config.json", "n_embd 721420296", "n_inner"});
  }
  SUBCASE("a required size that is null (fuzz_config_json finding: division by zero)") {
    write_file(dir / "config.json", R"({"architectures":["LlamaForCausalLM"],"model_type":"llama","vocab_size":512,)"
                                    R"("hidden_size":64,"intermediate_size":344,"num_hidden_layers":5,"num_attention_heads":null})");
    attn::write_safetensors(dir / "model.safetensors", {{"lm_head.weight", Tensor::zeros(DType::F32, {2})}});
    check_mentions(error_of([&] { attn::Model::load(dir.path()); }), {"config.json", "'num_attention_heads' is null"});
  }
  SUBCASE("no safetensors weights") {
    copy_config(dir);
    write_file(dir / "pytorch_model.bin", "pickle");
    check_mentions(load_error(dir.path()), {dir.path().string(), "only safetensors"});
  }
  SUBCASE("corrupt model.safetensors") {
    copy_config(dir);
    write_file(dir / "model.safetensors", "short");
    check_mentions(load_error(dir.path()), {"model.safetensors", "8-byte header length"});
  }
  SUBCASE("sharded index problems") {
    copy_config(dir);
    attn::write_safetensors(dir / "a.safetensors", {{"x", Tensor::zeros(DType::F32, {2})}});
    const auto index = [&](const json& weight_map) {
      write_file(dir / "model.safetensors.index.json", json{{"weight_map", weight_map}}.dump());
      return load_error(dir.path());
    };
    check_mentions(index({{"x", "a.safetensors"}, {"y", "b.safetensors"}}),
                   {"model.safetensors.index.json", "'b.safetensors'", "missing"});
    check_mentions(index({{"x", "a.safetensors"}, {"y", "a.safetensors"}}),
                   {"a.safetensors", "no tensor 'y'"});
    check_mentions(index({{"x", 3}}), {"model.safetensors.index.json", "'x'"});
    write_file(dir / "model.safetensors.index.json", "{}");
    check_mentions(load_error(dir.path()), {"model.safetensors.index.json", "weight_map"});
  }
}

TEST_CASE("load_checkpoint: paths it cannot load") {
  TempDir dir;
  check_mentions(load_error(dir / "missing.bin"), {"missing.bin", "no such file or directory"});

  write_file(dir / "model.pt", "PK");
  check_mentions(load_error(dir / "model.pt"), {"model.pt", "unknown checkpoint format", "llama2.c", "Hugging Face", ".gguf"});

  // GGUF is read now (test_gguf); a cut-off one says so.
  write_file(dir / "model.gguf", "GGUF");
  check_mentions(load_error(dir / "model.gguf"), {"model.gguf", "not a valid GGUF file", "truncated"});

  fs::copy_file(kHfDir / "model.safetensors", dir / "model.safetensors");
  check_mentions(load_error(dir / "model.safetensors"), {"model.safetensors", "directory", "config.json"});
}
