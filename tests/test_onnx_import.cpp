// ONNX models through Model::load: the stories260K export must generate the
// llama2.c reference texts on the fused KV-cache path and give the logits of
// the same weights loaded natively; broken files must fail with clear errors.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "attn/attn.h"
#include "attn/error.h"
#include "engine/interpreter/program.h"
#include "loaders/onnx/onnx_reader.h"
#include "test_support.h"

using namespace attn::test;
namespace fs = std::filesystem;

namespace {

const fs::path kModels = shared_dir() / "models";
const fs::path kOnnxDir = kModels / "stories260K-onnx";
const fs::path kMalformed = fixtures_dir() / "onnx/malformed";

std::string attn_command(const std::string& arguments) { return quote(cli_path()) + " " + arguments; }

// Runs `attn onnx-test` on a directory holding `model_bytes` as model.onnx.
CommandResult onnx_test_of(const std::string& model_bytes, const TempDir& dir) {
  write_file(dir / "model.onnx", model_bytes);
  return run_command(attn_command("onnx-test " + quote(dir.path())));
}

}  // namespace

TEST_CASE("stories260K ONNX generates the llama2.c reference texts on the fused path") {
  for (const auto& [prompt, suffix] : std::vector<std::pair<std::string, std::string>>{
           {"Once upon a time", "Once_upon_a_time"}, {"Lily and Tom went to the park", "Lily_and_Tom_went_to_the_park"},
           {"", "EMPTY"}}) {
    const CommandResult r = run_command(attn_command("generate -m " + quote(kOnnxDir) + " -p '" + prompt +
                                                     "' --max-length 256 --temperature 0"));
    CHECK(r.exit_code == 0);
    CHECK(r.out == read_file(kModels / ("stories260K/reference/runc_greedy_n256_" + suffix + ".txt")));
  }
  const auto model = attn::Model::load(kOnnxDir);
  CHECK(model->info().source_format == "onnx");
  CHECK(model->info().graph_ops.at("Attention") == 5);  // fused attention with the KV cache, one per layer
  CHECK(model->info().num_kv_heads == 4);
}

TEST_CASE("ONNX and native loading of the same weights give the same logits") {
  attn::LoadOptions options;
  options.tokenizer = kModels / "stories260K/tok512.model";
  const auto native = attn::Model::load(kModels / "stories260K/stories260K.bin", options);
  const auto onnx = attn::Model::load(kOnnxDir / "model.onnx");  // the file itself; config.json is beside it
  attn::Session a(native), b(onnx);
  const std::vector<attn::TokenId> ids{1, 403, 407, 261, 378, 9, 77, 300};
  SUBCASE("prefill, every position") {
    const auto expected = a.forward(ids, true);
    const std::vector<float> native_logits(expected.begin(), expected.end());
    CHECK(max_abs_diff(native_logits, b.forward(ids, true)) <= 1e-4f);
  }
  SUBCASE("one token at a time over the KV cache") {
    for (attn::TokenId id : ids) {
      const auto expected = a.forward(std::span(&id, 1));
      const std::vector<float> native_logits(expected.begin(), expected.end());
      CHECK(max_abs_diff(native_logits, b.forward(std::span(&id, 1))) <= 1e-4f);
    }
  }
}
TEST_CASE("optimum/transformers.js layout: onnx/model.onnx beside config.json and the tokenizer") {
  TempDir dir;
  fs::create_directory(dir / "onnx");
  for (const char* name : {"config.json", "tokenizer.model", "tokenizer_config.json"}) {
    fs::create_symlink(kOnnxDir / name, dir / name);
  }
  fs::create_symlink(kOnnxDir / "model.onnx", dir / "onnx/model.onnx");
  const auto model = attn::Model::load(dir.path());
  CHECK(model->info().architecture == "LlamaForCausalLM");
}

TEST_CASE("broken ONNX files fail with errors that name the problem") {
  TempDir dir;
  SUBCASE("truncated protobuf") {
    const std::string bytes = read_file(kOnnxDir / "model.onnx");
    for (const char* name : {"config.json", "tokenizer.model"}) fs::copy_file(kOnnxDir / name, dir / name);
    write_file(dir / "model.onnx", bytes.substr(0, bytes.size() * 3 / 5));
    try {
      attn::Model::load(dir.path());
      FAIL("a truncated file loaded");
    } catch (const attn::Error& e) {
      CHECK(std::string(e.what()).find("truncated or corrupt protobuf") != std::string::npos);
    }
  }
  auto expect_failure = [&](const char* file, const std::vector<std::string>& phrases) {
    const CommandResult r = onnx_test_of(read_file(kMalformed / file), dir);
    CHECK(r.exit_code == 1);
    INFO(r.out);
    for (const std::string& phrase : phrases) CHECK(r.out.find(phrase) != std::string::npos);
  };
  SUBCASE("missing initializer") {
    expect_failure("missing_initializer.onnx", {"MatMul node 'proj' reads 'weight', which no node, initializer"});
  }
  SUBCASE("dangling node input") {
    expect_failure("dangling_input.onnx", {"Add node 'add' reads '/nowhere_output'"});
  }
  SUBCASE("cyclic graph") {
    expect_failure("cyclic_graph.onnx", {"cycle", "Add node 'first'", "Relu node 'second'"});
  }
  SUBCASE("unsupported ops are listed together") {
    expect_failure("unsupported_ops.onnx", {"unsupported ONNX ops: Conv, LSTM, example.custom:Frobnicate"});
  }
  SUBCASE("external data outside its file") {
    fs::copy_file(kMalformed / "external_offset.bin", dir / "external_offset.bin");
    expect_failure("external_offset.onnx", {"external data of 16 bytes at offset 4096 lies outside", "64 bytes"});
    // offset + 16 overflows int64: still outside, not undefined behaviour.
    expect_failure("external_offset_overflow.onnx",
                   {"external data of 16 bytes at offset 9223372036854775800 lies outside", "64 bytes"});
  }
  SUBCASE("external data byte counts that are not numbers (std::stoll read \"12abc\" as 12)") {
    fs::copy_file(kMalformed / "external_offset.bin", dir / "external_offset.bin");
    expect_failure("external_offset_garbage.onnx", {"initializer 'weight'", "external data offset '12abc' is not a byte count"});
    expect_failure("external_length_too_large.onnx", {"external data length '99999999999999999999' is not a byte count"});
  }
  SUBCASE("a weight shape with more than 2^63 elements") {
    expect_failure("huge_shape.onnx", {"initializer 'weight'", "[4611686018427387904, 4] is too large to address"});
  }
}

TEST_CASE("torch.onnx decoder exports (GPT-2, merged If, Llama GQA with past) run on the fused KV cache") {
  const fs::path exports = fixtures_dir() / "onnx/exports";
  for (const std::string family : {"gpt2_nopast", "gpt2_past", "gpt2_merged", "llama_past"}) {
    for (const std::string opset : {"_opset14", "_opset17"}) {
      const std::string name = family + opset;
      INFO(name);
      TempDir dir;
      const fs::path export_dir = exports / (family + opset);
      fs::create_symlink(export_dir / "model.onnx", dir / "model.onnx");
      fs::create_symlink(export_dir / "config.json", dir / "config.json");
      fs::create_symlink(kModels / "stories260K/tok512.model", dir / "tokenizer.model");
      // Recognised and built by the GPT-2 / Llama builders; test_onnx_recognise.cpp checks them against the graph.
      const auto model = attn::Model::load(dir.path());
      CHECK(model->info().graph_ops.at("Attention") == 2);
      REQUIRE(model->onnx_import());
      CHECK(model->onnx_import()->primitive_nodes == 0);
      const std::vector<attn::TokenId> ids{5, 9, 33, 60, 1};  // the data sets' input_ids
      attn::Session prefill(model), decode(model);
      const auto all = prefill.forward(ids, true);
      if (family == "gpt2_nopast") {  // ONNX Runtime's logits for these ids
        const auto expected = attn::read_onnx_tensor(export_dir / "test_data_set_0/output_0.pb");
        REQUIRE(expected.numel() == static_cast<int64_t>(all.size()));
        CHECK(max_abs_diff(all, std::span(expected.as<float>(), all.size())) <= 1e-4f);
      }
      // Decoding over the cache gives the prefill's logits position by position.
      const int vocab = model->info().vocab_size;
      for (size_t i = 0; i < ids.size(); ++i) {
        const auto step = decode.forward(std::span(&ids[i], 1));
        CHECK(max_abs_diff(step, all.subspan(i * vocab, vocab)) <= 1e-4f);
      }
    }
  }
}

TEST_CASE("torch.onnx BERT exports run as fused encoders; packing matches ONNX Runtime's padding mask") {
  for (const std::string opset : {"opset14", "opset17"}) {
    INFO(opset);
    TempDir dir;
    const fs::path export_dir = fixtures_dir() / "onnx/exports" / ("bert_" + opset);
    fs::create_symlink(export_dir / "model.onnx", dir / "model.onnx");
    fs::create_symlink(export_dir / "config.json", dir / "config.json");
    fs::create_symlink(kModels / "stories260K/tok512.model", dir / "tokenizer.model");
    const auto model = attn::Model::load(dir.path());
    CHECK(model->info().encoder);
    CHECK(model->info().graph_ops.at("Attention") == 2);
    // The data set: ids 5 9 33 60 1 with the last position masked out; ORT's
    // hidden states of the 4 real tokens are the packed sequence's.
    const auto expected = attn::read_onnx_tensor(export_dir / "test_data_set_0/output_0.pb");
    const int hidden = model->info().hidden_size;
    attn::Session session(model);
    const std::vector<attn::TokenId> ids{5, 9, 33, 60};
    const auto states = session.forward(ids, true);
    REQUIRE(states.size() == ids.size() * hidden);
    CHECK(max_abs_diff(states, std::span(expected.as<float>(), states.size())) <= 1e-4f);
  }
}

TEST_CASE("weights in an external data file load zero-copy into the fused graph") {
  TempDir dir;
  const fs::path export_dir = fixtures_dir() / "onnx/exports/llama_external_data";
  for (const char* name : {"model.onnx", "model.onnx_data", "config.json"}) {
    fs::create_symlink(export_dir / name, dir / name);
  }
  fs::create_symlink(kModels / "stories260K/tok512.model", dir / "tokenizer.model");
  const auto model = attn::Model::load(dir.path());
  CHECK(model->info().graph_ops.at("Attention") == 2);
}

TEST_CASE("graphs the recognisers cannot map run op by op, with the reason in the model info") {
  // ONNX Runtime's optimizer rewrites FFNs and attention into contrib ops
  // (QuickGelu gates, FastGelu with the bias inside, FusedMatMul), which the
  // recognisers do not map yet: these models recompute each step op by op.
  auto load = [](const std::string& name, TempDir& dir) {
    const fs::path export_dir = fixtures_dir() / "onnx/exports" / name;
    fs::create_symlink(export_dir / "model.onnx", dir / "model.onnx");
    fs::create_symlink(export_dir / "config.json", dir / "config.json");
    fs::create_symlink(kModels / "stories260K/tok512.model", dir / "tokenizer.model");
    auto model = attn::Model::load(dir.path());
    REQUIRE(model->onnx_import());
    CHECK(model->onnx_import()->fused_nodes == 0);
    CHECK(model->onnx_import()->primitive_nodes > 0);
    CHECK(model->onnx_import()->unfused_reason.find("cannot map the ONNX graph") != std::string::npos);
    return model;
  };
  const std::vector<attn::TokenId> ids{5, 9, 33, 60, 1};
  SUBCASE("Llama: the same logits as the fused export of the same weights, prefill and step by step") {
    TempDir op_dir, fused_dir;
    const auto op_by_op = load("llama_ort_extended", op_dir);
    fs::create_symlink(fixtures_dir() / "onnx/exports/llama_past_opset17/model.onnx", fused_dir / "model.onnx");
    fs::create_symlink(fixtures_dir() / "onnx/exports/llama_past_opset17/config.json", fused_dir / "config.json");
    fs::create_symlink(kModels / "stories260K/tok512.model", fused_dir / "tokenizer.model");
    const auto fused = attn::Model::load(fused_dir.path());
    attn::Session a(op_by_op), b(fused);
    const auto expected = b.forward(ids, true);
    const std::vector<float> fused_logits(expected.begin(), expected.end());
    CHECK(max_abs_diff(a.forward(ids, true), fused_logits) <= 1e-4f);
    a.reset();
    b.reset();
    for (attn::TokenId id : ids) {
      const auto step = b.forward(std::span(&id, 1));
      const std::vector<float> fused_step(step.begin(), step.end());
      CHECK(max_abs_diff(a.forward(std::span(&id, 1)), fused_step) <= 1e-4f);
    }
  }
  SUBCASE("GPT-2: ONNX Runtime's logits") {
    TempDir dir;
    const auto model = load("gpt2_ort_extended", dir);
    const auto expected = attn::read_onnx_tensor(fixtures_dir() / "onnx/exports/gpt2_ort_extended/test_data_set_0/output_0.pb");
    attn::Session session(model);
    const auto logits = session.forward(ids, true);
    CHECK(max_abs_diff(logits, std::span(expected.as<float>(), expected.numel())) <= 1e-4f);
  }
  SUBCASE("BERT: ONNX Runtime's hidden states of the unpadded tokens") {
    TempDir dir;
    const auto model = load("bert_ort_extended", dir);
    CHECK(model->info().encoder);
    const auto expected = attn::read_onnx_tensor(fixtures_dir() / "onnx/exports/bert_ort_extended/test_data_set_0/output_0.pb");
    attn::Session session(model);
    const std::vector<attn::TokenId> unpadded(ids.begin(), ids.begin() + 4);
    const auto states = session.forward(unpadded, true);
    CHECK(max_abs_diff(states, std::span(expected.as<float>(), states.size())) <= 1e-4f);
  }
}

TEST_CASE("an ONNX graph with no outputs is refused, naming the file") {
  TempDir dir;
  fs::copy_file(kMalformed / "no_outputs.onnx", dir / "model.onnx");
  fs::copy_file(kOnnxDir / "config.json", dir / "config.json");
  try {
    attn::Model::load(dir.path());
    FAIL("a graph without outputs loaded");
  } catch (const attn::Error& e) {
    const std::string message = e.what();
    CHECK(message.find((dir / "model.onnx").string()) != std::string::npos);
    CHECK(message.find("has no outputs") != std::string::npos);
  }
}

TEST_CASE("Reshape refuses a target shape whose element count overflows int64") {
  using namespace attn::interpreter;
  using attn::DType;
  for (const std::vector<int64_t>& target : {std::vector<int64_t>{(int64_t{1} << 62) + 1, 4, -1},
                                             std::vector<int64_t>{INT64_MAX, 2, -1},
                                             std::vector<int64_t>{INT64_MAX, 3, 1}}) {
    INFO(target[0], " ", target[1], " ", target[2]);
    auto graph = std::make_shared<GraphIR>();
    graph->inputs.push_back(ValueInfo{"x", DType::F32, {2, 2}});
    graph->outputs.push_back(ValueInfo{"y", DType::F32, {}});
    graph->initializers["shape"] = Array::from_i64s(target);
    NodeIR reshape;
    reshape.name = "reshape";
    reshape.op_type = "Reshape";
    reshape.inputs = {"x", "shape"};
    reshape.outputs = {"y"};
    graph->nodes.push_back(reshape);
    const Program program(graph, 17, "overflow.onnx");
    try {
      program.run({{"x", Array(DType::F32, {2, 2})}});
      FAIL("reshaped 4 elements to an overflowing shape");
    } catch (const attn::Error& e) {
      CHECK(std::string(e.what()).find("Reshape node 'reshape'") != std::string::npos);
      CHECK(std::string(e.what()).find("overflows") != std::string::npos);
    }
  }
}
