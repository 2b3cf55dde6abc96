// ONNX models as checkpoints: the graph, its initializers as weights, and
// the config.json / tokenizer files of the optimum or transformers.js
// directory around it.
#pragma once

#include <filesystem>
#include <optional>

#include "loaders/checkpoint.h"

namespace attn {

// The model file in a directory: model.onnx, onnx/model.onnx,
// decoder_model_merged.onnx or onnx/decoder_model_merged.onnx, in that order.
std::optional<std::filesystem::path> find_onnx_model(const std::filesystem::path& dir);

// `path` is the root directory (the one with config.json: the file's own, or
// its parent for onnx/*.onnx).
Checkpoint load_onnx_checkpoint(const std::filesystem::path& model_file);

}  // namespace attn
