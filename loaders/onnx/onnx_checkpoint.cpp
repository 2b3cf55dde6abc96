#include "loaders/onnx/onnx_checkpoint.h"

#include "attn/error.h"
#include "engine/primitive/program.h"
#include "loaders/hf_directory.h"
#include "loaders/onnx/onnx_reader.h"

namespace attn {

namespace fs = std::filesystem;

std::optional<fs::path> find_onnx_model(const fs::path& dir) {
  for (const char* name : {"model.onnx", "onnx/model.onnx", "decoder_model_merged.onnx", "onnx/decoder_model_merged.onnx"}) {
    std::error_code ignored;
    if (fs::is_regular_file(dir / name, ignored)) return dir / name;
  }
  return std::nullopt;
}

Checkpoint load_onnx_checkpoint(const fs::path& model_file) {
  auto model = read_onnx_model(model_file);
  // Checks the whole graph now (ops, undefined inputs, cycles): a broken file
  // is reported as such, not as a graph the fusion pass does not recognise.
  primitive::Program(std::shared_ptr<const primitive::GraphIR>(model, &model->graph), model->opset(),
                     model_file.string());
  fs::path root = model_file.parent_path();
  if (root.empty()) root = ".";
  if (!fs::exists(root / "config.json") && root.filename() == "onnx") root = root.parent_path();
  if (!fs::exists(root / "config.json")) {
    throw Error(model_file.string() + ": no config.json beside the ONNX model (or in its parent directory); attn "
                "needs the model's config.json (head counts, RoPE) and tokenizer files next to it");
  }
  Checkpoint checkpoint;
  checkpoint.path = root;
  checkpoint.format = "onnx";
  checkpoint.config = read_hf_config(root);
  checkpoint.onnx = std::move(model);
  for (const auto& [name, value] : checkpoint.onnx->graph.initializers) {
    if (primitive::is_floating(value.type()) && value.type() != DType::F64 && value.rank() > 0) {
      checkpoint.weights.add(name, value.to_tensor(), model_file.string());
    }
  }
  if (fs::exists(root / "tokenizer.json") || fs::exists(root / "tokenizer.model")) checkpoint.tokenizer = root;
  return checkpoint;
}

}  // namespace attn
