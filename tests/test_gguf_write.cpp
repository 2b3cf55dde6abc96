// attn quantize writing GGUF: the files load in attn again and compute what
// their source computes, their metadata round-trips (and carries the types
// llama.cpp's loader insists on), and an independent numpy reader
// (tests/fixtures/gguf/check_gguf.py) finds the source's weights in them.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "attn/attn.h"
#include "loaders/gguf_file.h"
#include "model_logits.h"
#include "test_support.h"

using namespace attn;
using attn::test::all_logits;
using attn::test::greedy;
using attn::test::max_abs_diff;
using attn::test::read_file;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const fs::path kStoriesHf = attn::test::shared_dir() / "models" / "stories260K-hf";

attn::test::CommandResult quantize(const fs::path& input, const fs::path& output, const std::string& type,
                                   const std::string& extra = "") {
  return attn::test::run_command(attn::test::cli_path().string() + " quantize -m " + input.string() + " -o " +
                                 output.string() + " --type " + type + extra);
}

std::string type_of(const GgufFile& gguf, const std::string& key) {
  for (const auto& [name, type] : gguf.metadata_types)
    if (name == key) return type;
  return "";
}

void check_with_numpy(const fs::path& gguf, const fs::path& source, const std::string& type) {
  const fs::path script = attn::test::fixtures_dir() / "gguf" / "check_gguf.py";
  const auto r = attn::test::run_command("/usr/bin/python3 " + script.string() + " " + gguf.string() + " " +
                                         source.string() + " " + type);
  INFO(r.out);
  INFO(r.err);
  CHECK(r.exit_code == 0);
}

}  // namespace

TEST_CASE("a Llama 3 folder written as an F16 GGUF: same tokens, logits within F16 rounding, metadata for llama.cpp") {
  attn::test::TempDir dir;
  const fs::path source = attn::test::fixtures_dir() / "families" / "llama3";
  const auto written = quantize(source, dir / "llama3.gguf", "f16");
  INFO(written.err);
  REQUIRE(written.exit_code == 0);
  const auto model = Model::load(dir / "llama3.gguf");
  const auto folder = Model::load(source);
  CHECK(model->info().source_format == "gguf");
  CHECK(model->info().architecture == "LlamaForCausalLM");
  const json reference = json::parse(read_file(source.parent_path() / "reference.json"))["fixtures"]["llama3"];
  for (const auto& c : reference["cases"]) {
    const std::string text = c["text"].get<std::string>();
    CAPTURE(text);
    const auto ids = c["ids"].get<std::vector<TokenId>>();
    CHECK(model->tokenizer().encode(text) == ids);  // from the written tokenizer.ggml.* keys alone
    // F16 weights (the norms and RoPE factors stay F32): a few 1e-3 on these logits of order 1-10.
    CHECK(max_abs_diff(all_logits(model, ids), all_logits(folder, ids)) < 2e-2f);
    CHECK(greedy(model, ids, 4) == greedy(folder, ids, 4));
  }
  CHECK(model->info().eos_ids.front() == 128001);

  const GgufFile gguf = read_gguf(dir / "llama3.gguf");
  const json config = json::parse(read_file(source / "config.json"));
  CHECK(gguf.metadata["general.architecture"] == "llama");
  CHECK(gguf.metadata["general.file_type"] == 1);
  CHECK(gguf.metadata["llama.block_count"] == config["num_hidden_layers"]);
  CHECK(gguf.metadata["llama.embedding_length"] == config["hidden_size"]);
  CHECK(gguf.metadata["llama.attention.head_count_kv"] == config["num_key_value_heads"]);
  CHECK(gguf.metadata["llama.rope.freq_base"] == config["rope_theta"]);
  CHECK(gguf.find_tensor("rope_freqs.weight"));  // Llama 3's RoPE scaling, as llama.cpp stores it
  CHECK(gguf.metadata["tokenizer.ggml.model"] == "gpt2");
  CHECK(gguf.metadata["tokenizer.ggml.pre"] == "llama-bpe");
  CHECK(gguf.metadata["tokenizer.ggml.tokens"].size() == config["vocab_size"]);
  CHECK(gguf.metadata["tokenizer.chat_template"] ==
        json::parse(read_file(source / "tokenizer_config.json"))["chat_template"]);
  // The types llama.cpp's loader checks key by key.
  CHECK(type_of(gguf, "llama.block_count") == "uint32");
  CHECK(type_of(gguf, "llama.rope.freq_base") == "float32");
  CHECK(type_of(gguf, "llama.attention.layer_norm_rms_epsilon") == "float32");
  CHECK(type_of(gguf, "tokenizer.ggml.token_type") == "array[int32]");
  CHECK(type_of(gguf, "tokenizer.ggml.merges") == "array[string]");
  CHECK(type_of(gguf, "tokenizer.ggml.add_bos_token") == "bool");
  CHECK(type_of(gguf, "tokenizer.ggml.bos_token_id") == "uint32");
  check_with_numpy(dir / "llama3.gguf", source, "f16");

  // GGUF in, GGUF out: the metadata round-trips (but for the file's type and name).
  REQUIRE(quantize(dir / "llama3.gguf", dir / "again.gguf", "f16").exit_code == 0);
  const GgufFile again = read_gguf(dir / "again.gguf");
  json first = gguf.metadata, second = again.metadata;
  for (const char* key : {"general.file_type", "general.name"}) first.erase(key), second.erase(key);
  CHECK(first == second);
  CHECK(gguf.metadata_types.size() == again.metadata_types.size());
  for (const auto& [key, type] : gguf.metadata_types) CHECK(type_of(again, key) == type);
}

TEST_CASE("stories260K as Q8_0 and Q4_0 GGUFs: the folder's quantized weights, SentencePiece metadata, same greedy text") {
  for (const std::string type : {"q8_0", "q4_0"}) {
    CAPTURE(type);
    attn::test::TempDir dir;
    const fs::path path = dir / ("stories-" + type + ".gguf");
    const auto written = quantize(kStoriesHf, path, type);
    INFO(written.err);
    REQUIRE(written.exit_code == 0);
    LoadOptions options;
    options.dtype = parse_weight_type(type);
    const auto folder = Model::load(kStoriesHf, options);
    const auto model = Model::load(path);
    std::map<std::string, int64_t> by_type = model->info().parameters_by_dtype;
    CHECK(by_type.count(type == "q8_0" ? "Q8_0" : "Q4_0"));
    const std::string text = "Once upon a time, there was a little girl";
    const auto ids = folder->tokenizer().encode(text);
    CHECK(model->tokenizer().encode(text) == ids);
    // The same blocks; the q/k rows permuted for ggml's RoPE change only the order of float sums.
    CHECK(max_abs_diff(all_logits(model, ids), all_logits(folder, ids)) < 1e-3f);
    CHECK(greedy(model, ids, 16) == greedy(folder, ids, 16));
    const GgufFile gguf = read_gguf(path);
    CHECK(gguf.metadata["tokenizer.ggml.model"] == "llama");
    CHECK(gguf.metadata["tokenizer.ggml.scores"].size() == 512);
    CHECK(type_of(gguf, "tokenizer.ggml.scores") == "array[float32]");
    CHECK(gguf.find_tensor("output.weight") == nullptr);  // tied: llama.cpp reuses token_embd
    check_with_numpy(path, kStoriesHf, type);
  }
}

TEST_CASE("a quantized GGUF from a GGUF: Q4_K and Q8_0 of the f32 quantized fixture stay within their bounds") {
  const char* fixtures = std::getenv("ATTN_GGUF_FIXTURES");
  REQUIRE_MESSAGE(fixtures, "ATTN_GGUF_FIXTURES is unset: run through ctest, which writes the fixtures first");
  const fs::path f32 = fs::path(fixtures) / "quantized" / "f32" / "model.gguf";
  const json reference = json::parse(read_file(fs::path(fixtures) / "quantized" / "f32" / "reference.json"));
  const auto ids = reference["ids"].get<std::vector<TokenId>>();
  for (const std::string type : {"q8_0", "q4_k_m"}) {
    CAPTURE(type);
    attn::test::TempDir dir;
    REQUIRE(quantize(f32, dir / "out.gguf", type).exit_code == 0);
    const GgufFile gguf = read_gguf(dir / "out.gguf");
    std::map<std::string, int> counts;
    for (const auto& tensor : gguf.tensors) ++counts[ggml_type_name(tensor.type)];
    if (type == "q8_0") CHECK(counts["Q8_0"] == 15);  // every Linear, the LM head too; the embedding stays F32
    if (type == "q4_k_m") CHECK(counts["Q4_K"] + counts["Q6_K"] == 15);
    const auto model = Model::load(dir / "out.gguf");
    const auto logits = all_logits(model, ids);
    // Weight rounding now counts too: relative RMS 0.5 % (q8_0) and ~8 % (q4_k) of each matrix.
    double worst = 0;
    for (size_t t = 0; t < ids.size(); ++t) {
      for (size_t v = 0; v < reference["logits"][t].size(); ++v) {
        worst = std::max(worst, std::fabs(logits[t * reference["logits"][t].size() + v] - reference["logits"][t][v].get<double>()));
      }
    }
    MESSAGE(type << ": max |logit - float64 f32 forward| = " << worst);
    CHECK(worst < (type == "q8_0" ? 0.2 : 2.0));
  }
}

TEST_CASE("attn quantize refuses GGUF output it cannot write, naming why") {
  attn::test::TempDir dir;
  const auto int8 = quantize(kStoriesHf, dir / "x.gguf", "int8");
  CHECK(int8.exit_code != 0);
  CHECK(int8.err.find("GGUF has no int8 type") != std::string::npos);
  const auto gpt2 = quantize(attn::test::fixtures_dir() / "family" / "gpt2", dir / "gpt2.gguf", "f16");
  CHECK(gpt2.exit_code != 0);
  CHECK(gpt2.err.find("attn quantize writes GGUF files of Llama, Mistral, Qwen2 and Qwen3 models (this is GPT2LMHeadModel)") !=
        std::string::npos);
  CHECK(!fs::exists(dir / "gpt2.gguf"));
}
