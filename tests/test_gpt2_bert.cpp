// GPT-2 and BERT against float64 torch references of the Hugging Face forward
// passes (tests/fixtures/gen_family_fixtures.py), sentence embeddings through
// attn::embed, and the errors for directories attn cannot run.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>

#include <nlohmann/json.hpp>

#include "attn/attn.h"
#include "engine/kernels/kernels.h"
#include "loaders/safetensors.h"
#include "loaders/safetensors_writer.h"
#include "test_support.h"

using namespace attn;
using attn::test::read_file;
using attn::test::TempDir;
using nlohmann::json;
namespace fs = std::filesystem;

using attn::test::max_abs_diff;
using attn::test::read_f32;

namespace {

const fs::path kFamily = attn::test::fixtures_dir() / "family";
const json& reference() {
  static const json value = json::parse(read_file(kFamily / "reference.json"));
  return value;
}

double cosine(std::span<const float> a, std::span<const float> b) {
  REQUIRE(a.size() == b.size());
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ab += double{a[i]} * b[i];
    aa += double{a[i]} * a[i];
    bb += double{b[i]} * b[i];
  }
  return ab / std::sqrt(aa * bb);
}

std::vector<float> floats(const json& array) { return array.get<std::vector<float>>(); }
std::vector<TokenId> ids_of(const json& array) { return array.get<std::vector<TokenId>>(); }

// A copy of a fixture directory (files copied, symlinks kept) to break.
fs::path copy_fixture(const TempDir& dir, const std::string& name) {
  const fs::path target = dir / name;
  fs::create_directories(target);
  for (const auto& entry : fs::directory_iterator(kFamily / name)) {
    const fs::path to = target / entry.path().filename();
    if (entry.is_symlink()) {
      fs::create_symlink(fs::canonical(entry.path()), to);
    } else {
      fs::copy(entry.path(), to, fs::copy_options::recursive);
    }
  }
  return target;
}

void edit_json(const fs::path& path, const std::function<void(json&)>& edit) {
  json value = json::parse(read_file(path));
  edit(value);
  attn::test::write_file(path, value.dump(2));
}

// Rewrites model.safetensors through `edit`, which may rename, drop or replace tensors.
void edit_weights(const fs::path& dir, const std::function<void(std::map<std::string, Tensor>&)>& edit) {
  auto tensors = read_safetensors(dir / "model.safetensors").tensors;
  edit(tensors);
  const std::vector<std::pair<std::string, Tensor>> ordered(tensors.begin(), tensors.end());
  write_safetensors(dir / "model.safetensors.new", ordered);
  fs::rename(dir / "model.safetensors.new", dir / "model.safetensors");
}

std::string load_error(const fs::path& dir) {
  try {
    Model::load(dir);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("gpt2: the tokenizer gives llama.cpp's ids for the fixture prompts") {
  const auto model = Model::load(kFamily / "gpt2");
  for (const auto& c : reference()["gpt2"]["cases"]) {
    CAPTURE(c["text"].get<std::string>());
    CHECK(model->tokenizer().encode(c["text"].get<std::string>()) == ids_of(c["ids"]));
  }
}

TEST_CASE("gpt2: logits match the float64 reference at every position") {
  const auto model = Model::load(kFamily / "gpt2");
  CHECK(model->info().architecture == "GPT2LMHeadModel");
  CHECK_FALSE(model->info().encoder);
  const auto logit_ids = ids_of(reference()["gpt2"]["logit_ids"]);
  const int vocab = model->info().vocab_size;
  for (const auto& c : reference()["gpt2"]["cases"]) {
    CAPTURE(c["text"].get<std::string>());
    const auto ids = ids_of(c["ids"]);
    Session session(model);
    const auto logits = session.forward(ids, true);
    REQUIRE(logits.size() == ids.size() * vocab);
    std::vector<float> sampled;
    std::vector<TokenId> argmax;
    for (size_t p = 0; p < ids.size(); ++p) {
      const float* row = logits.data() + p * vocab;
      for (TokenId id : logit_ids) sampled.push_back(row[id]);
      argmax.push_back(static_cast<TokenId>(std::max_element(row, row + vocab) - row));
    }
    CHECK(max_abs_diff(sampled, read_f32(kFamily / c["logits_file"].get<std::string>())) < 1e-4f);
    CHECK(argmax == ids_of(c["argmax"]));
  }
}

TEST_CASE("gpt2: greedy continuation ids equal the reference; the KV cache equals full recompute") {
  const auto model = Model::load(kFamily / "gpt2");
  const int vocab = model->info().vocab_size;
  for (const auto& c : reference()["gpt2"]["cases"]) {
    CAPTURE(c["text"].get<std::string>());
    const auto prompt = ids_of(c["ids"]);
    Session session(model);
    auto logits = session.forward(prompt);
    std::vector<TokenId> sequence = prompt, continuation;
    for (size_t i = 0; i < c["greedy"].size(); ++i) {
      const TokenId next = static_cast<TokenId>(std::max_element(logits.begin(), logits.end()) - logits.begin());
      continuation.push_back(next);
      sequence.push_back(next);
      const std::vector<float> cached(logits.begin(), logits.end());
      // The same position recomputed from scratch, without the cache.
      Session fresh(model);
      const auto full = fresh.forward(std::span<const TokenId>(sequence.data(), sequence.size() - 1));
      CHECK(max_abs_diff(cached, full) < 1e-5f);
      logits = session.forward(std::span<const TokenId>(&next, 1));
    }
    CHECK(continuation == ids_of(c["greedy"]));
    CHECK(logits.size() == static_cast<size_t>(vocab));
  }
}

TEST_CASE("gpt2: generate runs through the public API") {
  const auto model = Model::load(kFamily / "gpt2");
  Session session(model);
  GenerateOptions options;
  options.sampling.temperature = 0;
  options.max_new_tokens = 4;
  const auto& c = reference()["gpt2"]["cases"][0];
  const auto result = generate(session, c["text"].get<std::string>(), options, [](std::string_view) {});
  const auto greedy = ids_of(c["greedy"]);
  CHECK(result.tokens == std::vector<TokenId>(greedy.begin(), greedy.begin() + 4));
}

TEST_CASE("bert: the tokenizer adds [CLS] and [SEP] around llama.cpp's ids") {
  const auto model = Model::load(kFamily / "bert");
  for (const auto& c : reference()["bert"]["cases"]) {
    CAPTURE(c["text"].get<std::string>());
    CHECK(model->tokenizer().encode(c["text"].get<std::string>()) == ids_of(c["ids"]));
  }
}

TEST_CASE("bert: last_hidden_state matches the float64 reference") {
  const auto model = Model::load(kFamily / "bert");
  CHECK(model->info().encoder);
  Session session(model);
  for (const auto& c : reference()["bert"]["cases"]) {
    CAPTURE(c["text"].get<std::string>());
    const auto hidden = session.forward(ids_of(c["ids"]), true);
    CHECK(max_abs_diff(hidden, floats(c["last_hidden_state"])) < 1e-4f);
  }
}

TEST_CASE("bert: packed batches give every sentence what it gets alone") {
  const auto model = Model::load(kFamily / "bert");
  Session session(model);
  std::vector<Encoding> batch;
  for (const auto& c : reference()["bert"]["cases"]) batch.push_back({ids_of(c["ids"]), {}});
  const auto packed = session.forward_packed(batch);
  const std::vector<float> all(packed.begin(), packed.end());
  size_t offset = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    CAPTURE(i);
    const auto alone = session.forward(batch[i].ids, true);
    const std::span<const float> part(all.data() + offset, alone.size());
    CHECK(max_abs_diff(part, alone) < 1e-5f);
    CHECK(max_abs_diff(part, floats(reference()["bert"]["cases"][i]["last_hidden_state"])) < 1e-4f);
    offset += alone.size();
  }
  CHECK(offset == all.size());
}

TEST_CASE("bert: sentence-transformers embeddings, alone and batched, match the reference") {
  const auto model = Model::load(kFamily / "bert");
  CHECK(embedding_config(*model).pooling == Pooling::Mean);
  CHECK(embedding_config(*model).normalize);
  std::vector<std::string> texts;
  for (const auto& c : reference()["bert"]["cases"]) texts.push_back(c["text"].get<std::string>());

  Session session(model);
  EmbedOptions batched;
  batched.batch_size = 4;  // two batches of different lengths, the second partial
  const auto together = embed(session, texts, batched);
  REQUIRE(together.size() == texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    CAPTURE(texts[i]);
    const auto expected = floats(reference()["bert"]["cases"][i]["embedding"]);
    const auto alone = embed(session, std::span<const std::string>(&texts[i], 1));
    CHECK(cosine(alone[0].vector, expected) >= 0.99999);
    CHECK(cosine(together[i].vector, expected) >= 0.99999);
    CHECK(max_abs_diff(alone[0].vector, together[i].vector) < 1e-5f);
    CHECK_FALSE(together[i].truncated);
  }
}

TEST_CASE("bert: every pooling mode, unnormalised, matches the reference") {
  const auto model = Model::load(kFamily / "bert");
  Session session(model);
  std::vector<std::string> texts;
  for (const auto& c : reference()["bert"]["cases"]) texts.push_back(c["text"].get<std::string>());
  for (const char* mode : {"mean", "cls", "max", "last"}) {
    CAPTURE(mode);
    EmbedOptions options;
    options.pooling = parse_pooling(mode);
    options.normalize = false;
    const auto vectors = embed(session, texts, options);
    for (size_t i = 0; i < texts.size(); ++i) {
      CHECK(max_abs_diff(vectors[i].vector, floats(reference()["bert"]["cases"][i]["pooled"][mode])) < 1e-4f);
    }
  }
  CHECK_FALSE(parse_pooling("median"));
}

TEST_CASE("bert: the encoder inside BertForMaskedLM ('bert.' names) loads the same") {
  TempDir dir;
  const fs::path copy = copy_fixture(dir, "bert");
  edit_json(copy / "config.json", [](json& c) { c["architectures"] = {"BertForMaskedLM"}; });
  edit_weights(copy, [](std::map<std::string, Tensor>& tensors) {
    std::map<std::string, Tensor> renamed;
    for (auto& [name, tensor] : tensors) renamed["bert." + name] = tensor;
    renamed["cls.predictions.bias"] = Tensor::zeros(DType::F32, {30522});  // the MLM head, ignored
    tensors = std::move(renamed);
  });
  const auto model = Model::load(copy);
  Session session(model);
  const auto& c = reference()["bert"]["cases"][3];
  CHECK(max_abs_diff(session.forward(ids_of(c["ids"]), true), floats(c["last_hidden_state"])) < 1e-4f);
}

TEST_CASE("roberta: positions start after the padding id") {
  // The BERT fixture with its position table moved down by padding_idx + 1
  // rows is a RoBERTa model that must give BERT's reference states.
  TempDir dir;
  const fs::path copy = copy_fixture(dir, "bert");
  edit_json(copy / "config.json", [](json& c) {
    c["architectures"] = {"RobertaModel"};
    c["model_type"] = "roberta";
    c["pad_token_id"] = 1;
  });
  edit_weights(copy, [](std::map<std::string, Tensor>& tensors) {
    const Tensor bert = tensors.at("embeddings.position_embeddings.weight").to_f32();
    const int64_t rows = bert.dim(0), width = bert.dim(1);
    Tensor shifted = Tensor::zeros(DType::F32, {rows, width});
    std::fill_n(shifted.mutable_data_as<float>(), 2 * width, 100.f);  // never used
    std::copy_n(bert.data_as<float>(), (rows - 2) * width, shifted.mutable_data_as<float>() + 2 * width);
    tensors["embeddings.position_embeddings.weight"] = shifted;
  });
  const auto model = Model::load(copy);
  CHECK(model->info().context_length == 62);
  Session session(model);
  for (const auto& c : reference()["bert"]["cases"]) {
    CHECK(max_abs_diff(session.forward(ids_of(c["ids"]), true), floats(c["last_hidden_state"])) < 1e-4f);
  }
}

TEST_CASE("errors: unknown architecture, missing tensor, wrong shape, unsupported module") {
  TempDir dir;
  SUBCASE("unknown architecture") {
    const fs::path copy = copy_fixture(dir, "gpt2");
    edit_json(copy / "config.json", [](json& c) { c["architectures"] = {"GPTNeoXForCausalLM"}; });
    const std::string error = load_error(copy);
    CHECK(error.find("config.json") != std::string::npos);
    CHECK(error.find("GPTNeoXForCausalLM") != std::string::npos);
    CHECK(error.find("GPT2LMHeadModel") != std::string::npos);  // lists what is supported
  }
  SUBCASE("missing tensor") {
    const fs::path copy = copy_fixture(dir, "bert");
    edit_weights(copy, [](auto& tensors) { tensors.erase("encoder.layer.1.output.dense.weight"); });
    const std::string error = load_error(copy);
    CHECK(error.find("encoder.layer.1.output.dense.weight") != std::string::npos);
    CHECK(error.find(copy.string()) != std::string::npos);
  }
  SUBCASE("wrong shape") {
    const fs::path copy = copy_fixture(dir, "gpt2");
    edit_weights(copy, [](auto& tensors) { tensors["transformer.h.0.mlp.c_fc.weight"] = Tensor::zeros(DType::F32, {32, 8}); });
    const std::string error = load_error(copy);
    CHECK(error.find("transformer.h.0.mlp.c_fc.weight") != std::string::npos);
    CHECK(error.find("[8, 32]") != std::string::npos);
  }
  SUBCASE("unsupported sentence-transformers module") {
    const fs::path copy = copy_fixture(dir, "bert");
    edit_json(copy / "modules.json", [](json& m) {
      m.push_back({{"idx", 3}, {"name", "3"}, {"path", "3_Dense"}, {"type", "sentence_transformers.models.Dense"}});
    });
    const std::string error = load_error(copy);
    CHECK(error.find("modules.json") != std::string::npos);
    CHECK(error.find("sentence_transformers.models.Dense") != std::string::npos);
  }
  SUBCASE("unsupported pooling mode") {
    const fs::path copy = copy_fixture(dir, "bert");
    edit_json(copy / "1_Pooling" / "config.json", [](json& c) { c["pooling_mode_weightedmean_tokens"] = true; });
    const std::string error = load_error(copy);
    CHECK(error.find("1_Pooling") != std::string::npos);
    CHECK(error.find("pooling_mode_weightedmean_tokens") != std::string::npos);
  }
  SUBCASE("values of the wrong JSON type (a fuzzer's finds: they escaped as internal errors)") {
    const fs::path copy = copy_fixture(dir, "bert");
    edit_json(copy / "config.json", [](json& c) { c["model_type"] = 5; });
    CHECK(load_error(copy).find("'model_type' must be a string, got 5") != std::string::npos);
    edit_json(copy / "config.json", [](json& c) { c["model_type"] = "bert"; });
    edit_json(copy / "1_Pooling" / "config.json", [](json& c) { c["pooling_mode_cls_token"] = "yes"; });
    CHECK(load_error(copy).find("pooling_mode_cls_token must be true or false") != std::string::npos);
    edit_json(copy / "1_Pooling" / "config.json", [](json& c) { c["pooling_mode_cls_token"] = false; });
    edit_json(copy / "modules.json", [](json& m) { m.push_back(7); });
    CHECK(load_error(copy).find("modules.json: expected a JSON array of module objects") != std::string::npos);
    edit_json(copy / "modules.json", [](json& m) { m.back() = {{"type", 7}}; });
    CHECK(load_error(copy).find("a module's \"type\" must be a string") != std::string::npos);
    const fs::path gpt2 = copy_fixture(dir, "gpt2");
    edit_json(gpt2 / "config.json", [](json& c) { c["activation_function"] = {1, 2}; });
    CHECK(load_error(gpt2).find("'activation_function' must be a string") != std::string::npos);
  }
  SUBCASE("unsupported activation") {
    const fs::path copy = copy_fixture(dir, "bert");
    edit_json(copy / "config.json", [](json& c) { c["hidden_act"] = "swish"; });
    CHECK(load_error(copy).find("swish") != std::string::npos);
  }
  SUBCASE("embedding or classifying with a decoder") {
    const auto model = Model::load(kFamily / "gpt2");
    Session session(model);
    const std::vector<std::string> texts{"hello"};
    CHECK_THROWS_AS(embed(session, texts), Error);
    const std::vector<Encoding> batch{{{1, 2}, {}}};
    CHECK(session.forward_packed(batch).size() == 2u * model->info().vocab_size);  // a decoder's packed logits
    const std::vector<ClassifyInput> inputs{{"hello", std::nullopt}};
    CHECK_THROWS_AS(classify(session, inputs), Error);
  }
  SUBCASE("a sentence longer than the context") {
    const auto model = Model::load(kFamily / "bert");
    Session session(model);
    std::string text;
    for (int i = 0; i < 100; ++i) text += " word";  // 102 tokens with [CLS] and [SEP]; the context is 64
    const std::vector<std::string> texts{text};
    EmbedOptions strict;
    strict.truncate = false;
    CHECK_THROWS_AS(embed(session, texts, strict), Error);
  }
  SUBCASE("token types the model does not know, or not one per token") {
    const auto model = Model::load(kFamily / "bert");
    Session session(model);
    CHECK_THROWS_AS(session.forward_packed(std::vector<Encoding>{{{101, 102}, {0, 2}}}), Error);
    CHECK_THROWS_AS(session.forward_packed(std::vector<Encoding>{{{101, 102}, {0}}}), Error);
  }
  SUBCASE("classifying with a model that has no classification head") {
    const auto model = Model::load(kFamily / "bert");
    Session session(model);
    const std::vector<ClassifyInput> inputs{{"hello", std::nullopt}};
    CHECK_THROWS_AS(classify(session, inputs), Error);
  }
  SUBCASE("a BERT classifier without its pooler") {
    const fs::path copy = copy_fixture(dir, "bert_classifier");
    edit_weights(copy, [](auto& tensors) {
      tensors.erase("bert.pooler.dense.weight");
      tensors.erase("bert.pooler.dense.bias");
    });
    CHECK(load_error(copy).find("pooler") != std::string::npos);
  }
}

TEST_CASE("bert: pooler_output and sentence pairs with token types match the reference") {
  const auto model = Model::load(kFamily / "bert");
  Session session(model);
  const auto& bert = reference()["bert"];
  std::vector<Encoding> batch;
  std::vector<json> expected;
  for (const auto& c : bert["cases"]) {
    batch.push_back({ids_of(c["ids"]), {}});
    expected.push_back(c);
  }
  for (const auto& c : bert["pairs"]) {
    const Encoding encoding = encode_for_model(model->tokenizer(), c["a"].get<std::string>(), c["b"].get<std::string>());
    CHECK(encoding.ids == ids_of(c["ids"]));
    CHECK(encoding.type_ids == c["type_ids"].get<std::vector<int32_t>>());
    batch.push_back(encoding);
    expected.push_back(c);
  }
  const std::vector<float> hidden = [&] {
    const auto out = session.forward_packed(batch);
    return std::vector<float>(out.begin(), out.end());
  }();
  const auto pooled = session.head_output("pooler_output");
  REQUIRE(pooled.size() == batch.size() * 12);
  CHECK(session.head_output("logits").empty());
  size_t offset = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    CAPTURE(i);
    const auto states = floats(expected[i]["last_hidden_state"]);
    CHECK(max_abs_diff(std::span<const float>(hidden.data() + offset, states.size()), states) < 1e-4f);
    CHECK(max_abs_diff(pooled.subspan(i * 12, 12), floats(expected[i]["pooler_output"])) < 1e-4f);
    offset += states.size();
  }
}

TEST_CASE("bert: embed truncates over-long texts as sentence-transformers does, and says so") {
  const auto model = Model::load(kFamily / "bert");
  CHECK(embedding_config(*model).max_length == 64);
  Session session(model);
  std::string text;
  for (int i = 0; i < 100; ++i) text += " word";
  const std::vector<std::string> texts{text};
  const auto embedded = embed(session, texts);
  REQUIRE(embedded.size() == 1);
  CHECK(embedded[0].truncated);
  // The same as embedding the first 62 words between [CLS] and [SEP].
  std::vector<TokenId> ids{101};
  for (int i = 0; i < 62; ++i) ids.push_back(model->tokenizer().encode("word", false).at(0));
  ids.push_back(102);
  const auto hidden = session.forward(ids, true);
  std::vector<float> mean(12, 0.f);
  for (size_t r = 0; r < ids.size(); ++r) {
    for (size_t j = 0; j < 12; ++j) mean[j] += hidden[r * 12 + j] / ids.size();
  }
  CHECK(cosine(mean, embedded[0].vector) > 0.99999);
}

TEST_CASE("classifiers: BERT (softmax) and RoBERTa (multi-label sigmoid) heads match the reference") {
  for (const char* name : {"bert", "roberta"}) {
    CAPTURE(name);
    const json& fixture = reference()["classifiers"][name];
    const auto model = Model::load(kFamily / (std::string(name) + "_classifier"));
    CHECK(model->info().class_labels == fixture["labels"].get<std::vector<std::string>>());
    CHECK(model->info().multi_label == (std::string(name) == "roberta"));
    std::vector<ClassifyInput> inputs;
    for (const auto& c : fixture["cases"]) {
      inputs.push_back({c["text"].get<std::string>(),
                        c.contains("pair") ? std::optional<std::string>(c["pair"].get<std::string>()) : std::nullopt});
      const Encoding encoding = encode_for_model(model->tokenizer(), inputs.back().text, inputs.back().pair);
      CHECK(encoding.ids == ids_of(c["ids"]));
    }
    Session session(model);
    ClassifyOptions options;
    options.batch_size = 4;  // a full batch and a partial one
    const auto together = classify(session, inputs, options);
    REQUIRE(together.size() == inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
      CAPTURE(i);
      const auto alone = classify(session, std::span<const ClassifyInput>(&inputs[i], 1));
      const auto expected = floats(fixture["cases"][i]["scores"]);
      CHECK(max_abs_diff(together[i].scores, expected) < 1e-4f);
      CHECK(max_abs_diff(alone[0].scores, together[i].scores) < 1e-5f);
      CHECK_FALSE(together[i].truncated);
    }
  }
}

TEST_CASE("classifiers: truncation cuts a long pair to the context, longest text first") {
  const auto model = Model::load(kFamily / "bert_classifier");
  Session session(model);
  std::string long_text;
  for (int i = 0; i < 100; ++i) long_text += " word";
  const std::vector<ClassifyInput> inputs{{long_text, std::string("short question")}};
  CHECK_THROWS_AS(classify(session, inputs), Error);
  ClassifyOptions options;
  options.truncate = true;
  const auto result = classify(session, inputs, options);
  CHECK(result[0].truncated);
  double sum = 0;
  for (float p : result[0].scores) sum += p;
  CHECK(sum == doctest::Approx(1.0).epsilon(1e-5));
}

TEST_CASE("kernels: LayerNorm and both GELUs, vector against scalar") {
  const kernels::KernelTable* vector = kernels::table_for(kernels::Isa::Avx2);
  if (!vector) return;  // nothing to compare on this CPU
  const kernels::KernelTable& scalar = *kernels::table_for(kernels::Isa::Scalar);
  std::vector<float> x(37), weight(37), bias(37);
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = std::sin(i * 1.7f) * 6.f + 3.f;  // a large mean, and values in every GELU regime
    weight[i] = 1.f + 0.1f * std::cos(i * 0.3f);
    bias[i] = 0.05f * i;
  }
  std::vector<float> a(x.size()), b(x.size());
  vector->layer_norm(x.data(), weight.data(), bias.data(), a.data(), a.size(), 1e-12f);
  scalar.layer_norm(x.data(), weight.data(), bias.data(), b.data(), b.size(), 1e-12f);
  CHECK(max_abs_diff(a, b) < 1e-5f);
  for (auto gelu : {&kernels::VectorKernels::gelu_erf, &kernels::VectorKernels::gelu_tanh}) {
    a = x, b = x;
    for (float& v : a) v -= 4.f;
    for (float& v : b) v -= 4.f;
    (vector->*gelu)(a.data(), a.size());
    (scalar.*gelu)(b.data(), b.size());
    CHECK(max_abs_diff(a, b) < 1e-5f);
  }
}
