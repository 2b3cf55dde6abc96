// GGUF files: the synthetic fixtures converted as llama.cpp converts
// (tests/fixtures/gguf/hf_to_gguf.py, run by the gguf_fixtures test) against
// the same float64 references as their Hugging Face folders; llama.cpp's own
// vocab-only GGUFs against its expected tokenizations; and broken files.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "attn/attn.h"
#include "loaders/gguf_file.h"
#include "model_logits.h"
#include "test_support.h"
#include "tokenizer/gguf_tokenizer.h"

using namespace attn;
using attn::test::columns;
using attn::test::greedy;
using attn::test::max_abs_diff;
using attn::test::read_f32;
using attn::test::read_file;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

fs::path gguf_fixtures() {
  const char* dir = std::getenv("ATTN_GGUF_FIXTURES");
  REQUIRE_MESSAGE(dir, "ATTN_GGUF_FIXTURES is unset: run through ctest, which converts the fixtures first");
  return dir;
}

struct Fixture {
  std::string name;
  fs::path reference_dir;  // where its logits files are
  json spec;               // cases, logit_ids
};

std::vector<Fixture> fixtures() {
  std::vector<Fixture> all;
  const fs::path families = attn::test::fixtures_dir() / "families";
  const json reference = json::parse(read_file(families / "reference.json"));
  for (const auto& [name, spec] : reference["fixtures"].items()) all.push_back({name, families, spec});
  const fs::path family = attn::test::fixtures_dir() / "family";
  all.push_back({"gpt2", family, json::parse(read_file(family / "reference.json"))["gpt2"]});
  return all;
}

// Gemma scales its embeddings by sqrt(hidden_size): Hugging Face rounds the
// factor to the checkpoint's dtype (these fixtures say bf16/f16), llama.cpp
// does not, and a GGUF file does not say. So the Gemma GGUFs are checked
// against the same Hugging Face folder with "torch_dtype": "float32" (the
// exact factor); everything else in that folder is checked against the
// float64 reference by test_model_families.
std::optional<std::shared_ptr<const Model>> exact_scale_hf_model(const Fixture& fixture, const attn::test::TempDir& dir) {
  const fs::path source = fixture.reference_dir / fixture.spec.value("dir", fixture.name);
  json config = json::parse(read_file(source / "config.json"));
  if (!config["model_type"].get<std::string>().starts_with("gemma")) return std::nullopt;
  for (const auto& entry : fs::directory_iterator(source)) {
    if (entry.path().filename() != "config.json") fs::create_symlink(fs::absolute(entry.path()), dir / entry.path().filename());
  }
  config["torch_dtype"] = "float32";
  attn::test::write_file(dir / "config.json", config.dump());
  return Model::load(dir.path());
}

// llama.cpp converts Mistral as its "llama" architecture.
std::string expected_architecture(const std::string& hf) { return hf == "MistralForCausalLM" ? "LlamaForCausalLM" : hf; }

// F32 files hold the fixtures' weights exactly; F16 files round each
// matrix to 11 significant bits (norms stay F32), which moves these logits
// of order 1-10 by up to a few 1e-3.
void check_against_reference(const Fixture& fixture, const std::string& type, float tolerance) {
  CAPTURE(fixture.name);
  CAPTURE(type);
  const auto model = Model::load(gguf_fixtures() / (fixture.name + "-" + type) / "model.gguf");
  CHECK(model->info().source_format == "gguf");
  attn::test::TempDir exact_dir;
  const auto exact_scale = exact_scale_hf_model(fixture, exact_dir);
  if (fixture.spec.contains("architecture")) {
    CHECK(model->info().architecture == expected_architecture(fixture.spec["architecture"].get<std::string>()));
  }
  if (fixture.spec.contains("eos_ids")) {
    auto eos = model->info().eos_ids;
    std::sort(eos.begin(), eos.end());
    CHECK(eos == fixture.spec["eos_ids"].get<std::vector<TokenId>>());
  }
  const auto logit_ids = fixture.spec["logit_ids"].get<std::vector<int>>();
  for (const auto& c : fixture.spec["cases"]) {
    CAPTURE(c["text"].get<std::string>());
    const auto ids = c["ids"].get<std::vector<TokenId>>();
    CHECK(model->tokenizer().encode(c["text"].get<std::string>()) == ids);
    Session session(model);
    const auto logits = session.forward(ids, true);
    const auto got = columns(logits, model->info().vocab_size, logit_ids);
    if (exact_scale) {
      Session hf_session(*exact_scale);
      CHECK(max_abs_diff(got, columns(hf_session.forward(ids, true), model->info().vocab_size, logit_ids)) < tolerance);
    } else {
      CHECK(max_abs_diff(got, read_f32(fixture.reference_dir / c["logits_file"].get<std::string>())) < tolerance);
    }
    CHECK(greedy(model, ids, static_cast<int>(c["greedy"].size())) == c["greedy"].get<std::vector<TokenId>>());
  }
}

// llama.cpp's test-tokenizer-0 vectors: inputs separated by a marker line,
// one line of expected ids (without BOS/EOS) per input.
void check_vocab_file(const fs::path& gguf_path) {
  CAPTURE(gguf_path);
  const GgufFile gguf = read_gguf(gguf_path);
  json metadata = json::object();
  for (const auto& [key, value] : gguf.metadata.items()) {
    if (key.starts_with("tokenizer.")) metadata[key] = value;
  }
  const auto tokenizer = tokenizer_from_gguf(metadata, gguf_path.string());
  const std::string inputs = read_file(fs::path(gguf_path.string() + ".inp"));
  const std::string marker = "\n__ggml_vocab_test__\n";
  std::vector<std::string> texts;
  for (size_t start = 0;;) {
    const size_t end = inputs.find(marker, start);
    if (end == std::string::npos) break;
    texts.push_back(inputs.substr(start, end - start));
    start = end + marker.size();
  }
  std::ifstream outputs(gguf_path.string() + ".out");
  std::string line;
  size_t checked = 0;
  for (const std::string& text : texts) {
    REQUIRE(std::getline(outputs, line));
    std::vector<TokenId> expected;
    std::istringstream numbers(line);
    for (TokenId id; numbers >> id;) expected.push_back(id);
    CAPTURE(text);
    CHECK(tokenizer->encode(text, false) == expected);
    ++checked;
  }
  CHECK(checked == texts.size());
  CHECK(checked > 30);
}

// A minimal GGUF: header, metadata and tensor infos as given, data after.
struct Bytes {
  std::string data;
  template <typename T>
  Bytes& put(T value) {
    data.append(reinterpret_cast<const char*>(&value), sizeof value);
    return *this;
  }
  Bytes& str(const std::string& text) {
    put<uint64_t>(text.size());
    data += text;
    return *this;
  }
};

Bytes header(uint32_t version, uint64_t tensors, uint64_t keys) {
  Bytes b;
  b.put<uint32_t>(0x46554747).put(version).put(tensors).put(keys);
  return b;
}

// One tensor "t" of ne {32, 2}, type and data offset given, after one key.
std::string one_tensor_file(uint32_t type, uint64_t offset, size_t data_bytes) {
  Bytes b = header(3, 1, 1);
  b.str("general.architecture").put<uint32_t>(8).str("llama");
  b.str("t").put<uint32_t>(2).put<uint64_t>(32).put<uint64_t>(2).put(type).put(offset);
  b.data.resize((b.data.size() + 31) / 32 * 32, '\0');
  b.data.append(data_bytes, '\0');
  return b.data;
}

void refused(const std::string& bytes, const std::string& expected) {
  CAPTURE(expected);
  CHECK_THROWS_WITH_AS(parse_gguf(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size(), "bad.gguf"),
                       doctest::Contains(expected.c_str()), Error);
}

}  // namespace

TEST_CASE("F32 GGUF conversions of every fixture match its float64 reference (logits 1e-4, greedy ids)") {
  for (const Fixture& fixture : fixtures()) check_against_reference(fixture, "f32", 1e-4f);
}

TEST_CASE("F16 GGUF conversions give the reference's greedy ids, logits within F16 rounding") {
  for (const Fixture& fixture : fixtures()) check_against_reference(fixture, "f16", 2e-2f);
}

TEST_CASE("llama.cpp's vocab-only GGUFs tokenize as llama.cpp expects, from the metadata alone") {
  const fs::path shared = attn::test::shared_dir() / "tokenizers";
  check_vocab_file(shared / "llama2/llamacpp-vocab/ggml-vocab-llama-spm.gguf");
  check_vocab_file(shared / "gpt2/llamacpp-vocab/ggml-vocab-gpt-2.gguf");
  check_vocab_file(shared / "bert-base-uncased/llamacpp-vocab/ggml-vocab-bert-bge.gguf");
}

TEST_CASE("a vocab-only GGUF reads: version, metadata types, no tensors") {
  const GgufFile gguf = read_gguf(attn::test::shared_dir() / "tokenizers/gpt2/llamacpp-vocab/ggml-vocab-gpt-2.gguf");
  CHECK(gguf.version == 3);
  CHECK(gguf.tensors.empty());
  CHECK(gguf.metadata["tokenizer.ggml.tokens"].size() == 50257);
  CHECK(gguf.metadata["general.architecture"] == "gpt2");
  const auto type_of = [&](const std::string& key) {
    for (const auto& [name, type] : gguf.metadata_types)
      if (name == key) return type;
    return std::string();
  };
  CHECK(type_of("tokenizer.ggml.merges") == "array[string]");
  CHECK(type_of("gpt2.block_count") == "uint32");
}

TEST_CASE("broken GGUF files are refused with the problem, never read out of bounds") {
  refused("GGU", "the file ends inside the magic");
  refused("GGML\3\0\0\0", "does not start with the magic");
  refused(header(1, 0, 0).data, "version 1 is not supported");
  refused(header(4, 0, 0).data, "version 4 is not supported");
  refused(header(3, uint64_t{1} << 60, 0).data, "the tensor count is 1152921504606846976");
  refused(header(3, 0, 1000).data, "the metadata count is 1000");
  refused(header(3, 0, 1).str("a_key_long_enough").data, "the file ends inside a metadata value type; it is truncated");
  {
    Bytes b = header(3, 0, 1);
    b.str("k").put<uint32_t>(8).put<uint64_t>(uint64_t{1} << 40);
    refused(b.data, "a string of metadata 'k' claims 1099511627776 bytes");
  }
  {
    Bytes b = header(3, 0, 1);
    b.str("k").put<uint32_t>(9).put<uint32_t>(4).put<uint64_t>(uint64_t{1} << 50);
    refused(b.data, "the length of array 'k'");
  }
  {
    Bytes b = header(3, 0, 1);
    b.str("k").put<uint32_t>(13);
    refused(b.data, "metadata 'k' has unknown value type 13");
  }
  {
    Bytes b = header(3, 0, 1);
    b.str("general.alignment").put<uint32_t>(4).put<uint32_t>(24);
    refused(b.data, "general.alignment is 24");
  }
  {
    Bytes b = header(3, 0, 2);
    b.str("k").put<uint32_t>(7).put<uint8_t>(1).str("k").put<uint32_t>(7).put<uint8_t>(0);
    refused(b.data, "metadata key 'k' appears twice");
  }
  refused(one_tensor_file(0, 0, 100), "tensor 't' (256 bytes at data offset 0) ends past the end of the file");
  refused(one_tensor_file(0, 16, 512), "tensor 't' starts at data offset 16, not a multiple of the alignment 32");
  refused(one_tensor_file(5, 0, 512), "tensor 't' has unknown ggml type 5");
  refused(one_tensor_file(12, 0, 512), "tensor 't' of type Q4_K has 32 elements per row, not a multiple of its block of 256");
  // The block types read natively since: a truncated Q5_1 tensor, rows too narrow for Q8_K's and IQ4_XS's 256.
  refused(one_tensor_file(7, 0, 40), "tensor 't' (48 bytes at data offset 0) ends past the end of the file");
  refused(one_tensor_file(15, 0, 1024), "tensor 't' of type Q8_K has 32 elements per row, not a multiple of its block of 256");
  refused(one_tensor_file(23, 0, 512), "tensor 't' of type IQ4_XS has 32 elements per row, not a multiple of its block of 256");
  {
    Bytes b = header(3, 1, 0);
    b.str("a_tensor_name_long_enough_to_count").put<uint32_t>(5);
    refused(b.data, "tensor 'a_tensor_name_long_enough_to_count' has 5 dimensions");
  }
}

TEST_CASE("a GGUF with a tensor type attn does not read names the tensor and its type") {
  attn::test::TempDir dir;
  // A llama header and a Q2_K token embedding [2, 256] (a type with no kernel in attn).
  Bytes b = header(3, 1, 5);
  b.str("general.architecture").put<uint32_t>(8).str("llama");
  for (const char* key : {"llama.embedding_length", "llama.block_count", "llama.feed_forward_length",
                          "llama.attention.head_count"}) {
    b.str(key).put<uint32_t>(4).put<uint32_t>(256);
  }
  b.str("token_embd.weight").put<uint32_t>(2).put<uint64_t>(256).put<uint64_t>(2).put<uint32_t>(10).put<uint64_t>(0);
  b.data.resize((b.data.size() + 31) / 32 * 32, '\0');
  b.data.append(2 * 84, '\0');
  attn::test::write_file(dir / "q2_k.gguf", b.data);
  CHECK_THROWS_WITH_AS(Model::load(dir / "q2_k.gguf"),
                       doctest::Contains("tensor 'token_embd.weight' is stored as ggml type Q2_K, which attn does not read"),
                       Error);
}

TEST_CASE("control tokens written in the text are those tokens in SentencePiece GGUFs, as in llama.cpp") {
  // llama.cpp's vocab-only llama-spm file with Phi-3's <|user|> and <|end|> added as control tokens (type 3).
  const GgufFile gguf = read_gguf(attn::test::shared_dir() / "tokenizers/llama2/llamacpp-vocab/ggml-vocab-llama-spm.gguf");
  json metadata = json::object();
  for (const auto& [key, value] : gguf.metadata.items()) {
    if (key.starts_with("tokenizer.")) metadata[key] = value;
  }
  const auto plain = tokenizer_from_gguf(metadata, "spm");
  const auto user = static_cast<TokenId>(metadata["tokenizer.ggml.tokens"].size());
  for (const char* token : {"<|user|>", "<|end|>"}) {
    metadata["tokenizer.ggml.tokens"].push_back(token);
    metadata["tokenizer.ggml.scores"].push_back(0.0);
    metadata["tokenizer.ggml.token_type"].push_back(3);
  }
  const auto tokenizer = tokenizer_from_gguf(metadata, "spm");
  const auto text = [&](const std::string& t) { return plain->encode(t, false); };
  // llama.cpp (llama-vocab.cpp, SPM): the text is split at special tokens, longest first, and each
  // stretch between them is encoded on its own with the space prefix; BOS, <s> and </s> are control tokens too.
  std::vector<TokenId> expected{1, user};
  for (TokenId id : text("\nHello")) expected.push_back(id);
  expected.push_back(user + 1);
  for (TokenId id : text("there")) expected.push_back(id);
  expected.push_back(2);
  CHECK(tokenizer->encode("<|user|>\nHello<|end|>there</s>") == expected);
  CHECK(tokenizer->encode("a<|end|><|end|>", false) == std::vector<TokenId>{text("a")[0], user + 1, user + 1});
  // Text without them is encoded as before.
  CHECK(tokenizer->encode("Hello world <|user") == plain->encode("Hello world <|user"));
  CHECK(tokenizer->decode(tokenizer->encode("<|user|>Hi", false)) == plain->decode(text("Hi")));
}

TEST_CASE("the chat template comes from tokenizer.chat_template, with the file's special tokens") {
  const auto gguf_model = Model::load(gguf_fixtures() / "llama3-f32" / "model.gguf");
  CHECK(gguf_model->info().metadata.at("chat_template.bos_token") == "<|begin_of_text|>");
  const std::vector<ChatMessage> messages = {{"system", "Be brief."}, {"user", "Hello"}};
  ChatTemplateOptions options;
  options.add_generation_prompt = true;
  // The folder's template is checked against python3-jinja2 by test_chat_template.
  const std::string expected =
      ChatTemplate::for_model(attn::test::fixtures_dir() / "families" / "llama3").apply(messages, options);
  CHECK(ChatTemplate::for_model(*gguf_model).apply(messages, options) == expected);
  CHECK(expected.starts_with("<|begin_of_text|><|start_header_id|>system"));
}

TEST_CASE("attn inspect shows a GGUF's metadata and tensors per type; attn generate runs it as the folder") {
  const fs::path gguf_path = gguf_fixtures() / "qwen3-f16" / "model.gguf";
  const GgufFile gguf = read_gguf(gguf_path);
  std::map<std::string, int> counts;
  for (const auto& tensor : gguf.tensors) ++counts[ggml_type_name(tensor.type)];
  REQUIRE(counts.size() == 2);
  const std::string cli = attn::test::cli_path().string();
  const auto r = attn::test::run_command(cli + " inspect -m " + gguf_path.string() + " --json", "");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const json info = json::parse(r.out);
  CHECK(info["format"] == "gguf");
  CHECK(info["architecture"] == "Qwen3ForCausalLM");
  CHECK(info["metadata"]["gguf.general.architecture"] == "qwen3");
  CHECK(info["metadata"]["gguf.qwen3.block_count"] == "2");
  CHECK(info["metadata"]["gguf.tokenizer.ggml.merges"] == "array[string] of " + std::to_string(gguf.metadata["tokenizer.ggml.merges"].size()));
  CHECK(info["metadata"]["gguf.tensor_types"] ==
        "F16: " + std::to_string(counts["F16"]) + ", F32: " + std::to_string(counts["F32"]));
  const auto text = attn::test::run_command(cli + " inspect -m " + gguf_path.string(), "");
  CHECK(text.out.find("gguf.tensor_types = F16: ") != std::string::npos);

  const std::string args = " -p 'The quick brown fox' -n 6 --temp 0";
  const auto from_gguf = attn::test::run_command(cli + " generate -m " + (gguf_fixtures() / "qwen3-f32" / "model.gguf").string() + args, "");
  const auto from_folder = attn::test::run_command(cli + " generate -m " + (attn::test::fixtures_dir() / "families" / "qwen3").string() + args, "");
  INFO(from_gguf.err);
  REQUIRE(from_gguf.exit_code == 0);
  REQUIRE(from_folder.exit_code == 0);
  CHECK(from_gguf.out == from_folder.out);
}

TEST_CASE("the fuzz seeds are working models: tiny SentencePiece and byte-level BPE GGUFs") {
  const fs::path seeds = attn::test::fixtures_dir().parent_path() / "fuzz" / "corpus" / "gguf";
  const auto llama = Model::load(seeds / "llama-spm-f16.gguf");
  // Pieces 259 "▁", 260 "a", 261 "▁a" (merged); anything else falls back to its UTF-8 bytes (3 + byte).
  CHECK(llama->tokenizer().encode("a a") == std::vector<TokenId>{1, 261, 261});
  CHECK(llama->tokenizer().encode("\xc3\xa9") == std::vector<TokenId>{1, 259, 3 + 0xc3, 3 + 0xa9});
  CHECK(llama->tokenizer().decode(std::vector<TokenId>{261, 261, 3 + 0xc3, 3 + 0xa9}) == "a a\xc3\xa9");
  CHECK(llama->info().parameters_by_dtype.at("F16") > 0);
  const auto gpt2 = Model::load(seeds / "gpt2-bpe-f32.gguf");
  // Merges in rank order: "H e", "l l", "ll o"; " world" is one pre-token with no merges.
  CHECK(gpt2->tokenizer().encode("Hello world") == std::vector<TokenId>{8, 10, 4, 5, 3, 6, 2, 7});
  CHECK(ChatTemplate::for_model(*gpt2).apply({{"user", "hi"}}) == "hi");
  const GgufFile types = read_gguf(seeds / "every-type-v2.gguf");
  CHECK(types.version == 2);
  CHECK(types.alignment == 64);
  CHECK(types.metadata["key.1"] == -1);
  CHECK(types.metadata["key.12"] == 0.25);
  CHECK(types.metadata["key.nested"] == json::parse("[[1, 2], [3]]"));
  CHECK(types.metadata_types.back().second == "array[array[int32]]");
}
