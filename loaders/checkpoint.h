// A Checkpoint is what a loader hands to the model builders: a Hugging
// Face-style config (the llama2.c loader translates its header into one), the
// weights under Hugging Face tensor names, and where the tokenizer lives.
// Loaders know file formats, not architectures.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/interpreter/graph_ir.h"
#include "engine/weight_store.h"

namespace attn {

struct Checkpoint {
  std::filesystem::path path;        // what the user named
  std::string format;                // "huggingface", "llama2.c", "onnx", "gguf"
  nlohmann::json config;             // config.json, with generation_config.json merged under "generation"
  WeightStore weights;
  std::optional<std::filesystem::path> tokenizer;  // file or directory; empty if none was found
  // ONNX checkpoints: the graph. When a recogniser mapped it, `weights`
  // and `config` are what a safetensors directory of the model would hold;
  // otherwise `onnx_unrecognised` says why, `weights` holds the graph's float
  // initializers, and the model runs on the interpreter.
  std::shared_ptr<const interpreter::ModelIR> onnx;
  std::string onnx_unrecognised;
  // GGUF checkpoints: the file's tokenizer.* metadata (vocabulary, merges,
  // special ids, chat template), used when no tokenizer file was found.
  nlohmann::json tokenizer_metadata;
  // What the file says about itself, for `attn inspect` (ModelInfo::metadata):
  // GGUF keys as "gguf.<key>" (arrays as their type and length) and
  // "gguf.tensor_types" ("F16: 14, F32: 9").
  std::map<std::string, std::string> file_metadata;

  // The file the config came from, for error messages.
  std::string config_source() const {
    return format == "llama2.c" || format == "gguf" ? path.string() : (path / "config.json").string();
  }
};

// Picks the loader from what `path` is: a directory with config.json (Hugging
// Face), an `.onnx` file or a directory holding one (see onnx_checkpoint.h),
// or a llama2.c `.bin` file. `tokenizer` overrides the tokenizer found
// beside the checkpoint. Throws attn::Error naming the file and the problem.
Checkpoint load_checkpoint(const std::filesystem::path& path,
                           const std::optional<std::filesystem::path>& tokenizer = std::nullopt);

}  // namespace attn
