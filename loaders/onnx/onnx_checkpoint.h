// ONNX models as checkpoints: the graph, the config.json / tokenizer files
// of the optimum or transformers.js directory around it, and — when a
// recogniser (recognise.h) maps the graph — its weights under Hugging Face
// names with the config keys the graph determines, for the models/<arch>
// builder that safetensors use.
//
// ONNX lives in two places: here, what is specific to the file format
// (reading, directories, recognising architectures, the backend-test
// runner), and engine/interpreter/, which runs any imported graph op by op
// (for graphs no recogniser maps, the tests' reference and `attn onnx-test`).
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
