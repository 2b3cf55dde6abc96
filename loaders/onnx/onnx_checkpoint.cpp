#include "loaders/onnx/onnx_checkpoint.h"

#include "attn/error.h"
#include "engine/interpreter/program.h"
#include "loaders/hf_directory.h"
#include "loaders/onnx/onnx_reader.h"
#include "loaders/onnx/recognise.h"

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
  if (model->graph.outputs.empty()) {
    throw Error(model_file.string() + ": the ONNX graph has no outputs; attn reads a language model's first output "
                "(logits, or an encoder's hidden states)");
  }
  // Checks the whole graph now (ops, undefined inputs, cycles): a broken file
  // is reported as such, not as a graph the recognisers do not know.
  interpreter::Program(std::shared_ptr<const interpreter::GraphIR>(model, &model->graph), model->opset(),
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
  checkpoint.onnx = model;
  try {
    // What the graph shows (widths, layers, norms, RoPE layout) overrides
    // config.json; config.json's other keys (rope_scaling, sliding_window,
    // head counts) reach the builder as they would from safetensors.
    RecognisedModel recognised = recognise_onnx_model(model->graph, checkpoint.config, model_file.string());
    checkpoint.config.update(recognised.config);
    checkpoint.weights = std::move(recognised.weights);
  } catch (const Error& e) {
    checkpoint.onnx_unrecognised = e.what();
    for (const auto& [name, value] : model->graph.initializers) {
      if (interpreter::is_floating(value.type()) && value.type() != DType::F64 && value.rank() > 0) {
        checkpoint.weights.add(name, value.to_tensor(), model_file.string());
      }
    }
  }
  if (fs::exists(root / "tokenizer.json") || fs::exists(root / "tokenizer.model")) checkpoint.tokenizer = root;
  return checkpoint;
}

}  // namespace attn
