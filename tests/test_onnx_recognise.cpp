// The ONNX recognisers hand Llama, GPT-2 and BERT exports to the builders
// safetensors use: the built models compute what the graphs compute (run op
// by op on the interpreter), config.json's keys get the safetensors path's
// treatment, and ATTN_ONNX_VERIFY=1 checks a recognised model at load.
#include <doctest/doctest.h>

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "attn/attn.h"
#include "attn/error.h"
#include "loaders/checkpoint.h"
#include "models/interpreted_graph.h"
#include "test_support.h"

using namespace attn::test;
namespace fs = std::filesystem;

namespace {

const fs::path kModels = shared_dir() / "models";
const fs::path kExports = fixtures_dir() / "onnx/exports";

// `dir` gets links to every file of `source` but config.json, which is
// source's with `changes` merged in.
void link_with_config(const fs::path& source, const TempDir& dir, const nlohmann::json& changes) {
  for (const auto& entry : fs::directory_iterator(source)) {
    if (entry.path().filename() != "config.json") fs::create_symlink(entry.path(), dir / entry.path().filename());
  }
  nlohmann::json config = nlohmann::json::parse(read_file(source / "config.json"));
  config.update(changes);
  write_file(dir / "config.json", config.dump(2));
}

// An export fixture as a model directory (stories260K's tokenizer fits its 512 ids).
void link_export(const std::string& name, const TempDir& dir, const nlohmann::json& changes = nlohmann::json::object()) {
  link_with_config(kExports / name, dir, changes);
  fs::create_symlink(kModels / "stories260K/tok512.model", dir / "tokenizer.model");
}

std::string load_error(const fs::path& path) {
  try {
    attn::Model::load(path);
  } catch (const attn::Error& e) {
    return e.what();
  }
  return "(loaded)";
}

// ATTN_ONNX_VERIFY set for one scope.
struct VerifyAtLoad {
  VerifyAtLoad() { setenv("ATTN_ONNX_VERIFY", "1", 1); }
  ~VerifyAtLoad() { unsetenv("ATTN_ONNX_VERIFY"); }
};

}  // namespace

TEST_CASE("recognised ONNX exports compute what their graphs compute, run op by op") {
  std::vector<std::pair<std::string, fs::path>> cases{{"stories260K-onnx", kModels / "stories260K-onnx"}};
  for (const std::string name : {"gpt2_nopast_opset14", "gpt2_nopast_opset17", "gpt2_past_opset14", "gpt2_past_opset17",
                                 "gpt2_merged_opset14", "gpt2_merged_opset17", "llama_past_opset14",
                                 "llama_past_opset17", "llama_external_data", "bert_opset14", "bert_opset17"}) {
    cases.emplace_back(name, kExports / name);
  }
  for (const auto& [name, source] : cases) {
    INFO(name);
    TempDir dir;
    if (name.starts_with("stories")) {
      link_with_config(source, dir, nlohmann::json::object());
    } else {
      link_export(name, dir);
    }
    const attn::Checkpoint checkpoint = attn::load_checkpoint(dir.path());
    REQUIRE(checkpoint.onnx_unrecognised.empty());
    const auto model = attn::Model::load(dir.path());
    CHECK(model->onnx_import()->fused_nodes > 0);
    CHECK(attn::difference_from_graph(model, checkpoint) <= attn::kGraphTolerance);
  }
}

TEST_CASE("a recognised ONNX export and its safetensors twin get one treatment from config.json") {
  const fs::path onnx = kModels / "stories260K-onnx", safetensors = kModels / "stories260K-hf";
  SUBCASE("rope_scaling: the builder's refusal, word for word") {
    const nlohmann::json scaling = {{"rope_scaling", {{"type", "su"}, {"factor", 2.0}}}};  // no such rope_type
    TempDir onnx_dir, safetensors_dir;
    link_with_config(onnx, onnx_dir, scaling);
    link_with_config(safetensors, safetensors_dir, scaling);
    const std::string from_onnx = load_error(onnx_dir.path()), from_safetensors = load_error(safetensors_dir.path());
    CHECK(from_safetensors.find("rope_scaling") != std::string::npos);
    REQUIRE(from_onnx.starts_with(onnx_dir.path().string()));
    REQUIRE(from_safetensors.starts_with(safetensors_dir.path().string()));
    CHECK(from_onnx.substr(onnx_dir.path().string().size()) ==
          from_safetensors.substr(safetensors_dir.path().string().size()));
  }
  SUBCASE("Mistral's sliding_window masks both, and the logits agree") {
    const nlohmann::json mistral = {{"architectures", {"MistralForCausalLM"}}, {"model_type", "mistral"},
                                    {"sliding_window", 3}};
    TempDir onnx_dir, safetensors_dir;
    link_with_config(onnx, onnx_dir, mistral);
    link_with_config(safetensors, safetensors_dir, mistral);
    const auto a = attn::Model::load(onnx_dir.path()), b = attn::Model::load(safetensors_dir.path());
    CHECK(a->info().architecture == "MistralForCausalLM");
    CHECK(a->onnx_import()->fused_nodes > 0);
    CHECK(a->info().context_length == b->info().context_length);
    attn::Session sa(a), sb(b);
    const std::vector<attn::TokenId> ids{1, 403, 407, 261, 378};
    const auto expected = sb.forward(ids, true);
    const std::vector<float> safetensors_logits(expected.begin(), expected.end());
    CHECK(max_abs_diff(sa.forward(ids, true), safetensors_logits) <= 1e-4f);
  }
}

TEST_CASE("ATTN_ONNX_VERIFY=1 checks a recognised model against its graph at load") {
  // A config.json whose rope_theta is not the graph's: the recognised
  // structure is right, the builder's RoPE is not. Only the check sees it.
  TempDir dir;
  link_export("llama_past_opset17", dir, {{"rope_theta", 500000.0}});
  CHECK(attn::Model::load(dir.path())->onnx_import()->fused_nodes > 0);
  VerifyAtLoad verify;
  const auto checked = attn::Model::load(dir.path());
  CHECK(checked->onnx_import()->fused_nodes == 0);
  CHECK(checked->onnx_import()->primitive_nodes > 0);
  CHECK(checked->onnx_import()->unfused_reason.find("differs from the graph") != std::string::npos);
  TempDir good;
  link_export("llama_past_opset17", good);
  CHECK(attn::Model::load(good.path())->onnx_import()->fused_nodes > 0);
}

TEST_CASE("--dtype converts a recognised ONNX model's weights like a safetensors model's") {
  attn::LoadOptions options;
  options.dtype = attn::DType::I8;
  const auto onnx = attn::Model::load(kModels / "stories260K-onnx", options);
  const auto safetensors = attn::Model::load(kModels / "stories260K-hf", options);
  CHECK(onnx->info().parameters_by_dtype.size() == 2);  // the Linear weights in int8, the rest as stored
  CHECK(onnx->info().parameters_by_dtype == safetensors->info().parameters_by_dtype);
}
