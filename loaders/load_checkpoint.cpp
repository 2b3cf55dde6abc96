#include "loaders/checkpoint.h"

#include "attn/error.h"
#include "loaders/hf_directory.h"
#include "loaders/int8_format.h"
#include "loaders/llama2c.h"
#include "loaders/q4_0_format.h"
#include "loaders/onnx/onnx_checkpoint.h"

namespace attn {
namespace {

namespace fs = std::filesystem;

Checkpoint load_file(const fs::path& path) {
  const std::string extension = path.extension().string();
  if (extension == ".bin") return load_llama2c(path);
  if (extension == ".onnx") return load_onnx_checkpoint(path);
  if (extension == ".safetensors") {
    throw Error(path.string() + ": a .safetensors file alone has no config; pass the Hugging Face model "
                                "directory holding it and its config.json");
  }
  throw Error(path.string() + ": unknown checkpoint format; attn loads Hugging Face model directories "
                              "(config.json + safetensors), .onnx files and llama2.c .bin files");
}

}  // namespace

Checkpoint load_checkpoint(const fs::path& path, const std::optional<fs::path>& tokenizer) {
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (status.type() == fs::file_type::not_found) throw Error(path.string() + ": no such file or directory");
  if (error) throw Error(path.string() + ": cannot access (" + error.message() + "); check the permissions");

  Checkpoint checkpoint;
  if (fs::is_directory(status)) {
    // Safetensors win when a directory holds both (optimum exports keep them side by side).
    const bool has_safetensors = fs::exists(path / "model.safetensors") || fs::exists(path / "model.safetensors.index.json");
    const std::optional<fs::path> onnx_file = has_safetensors ? std::nullopt : find_onnx_model(path);
    checkpoint = onnx_file ? load_onnx_checkpoint(*onnx_file) : load_hf_directory(path);
  } else if (fs::is_regular_file(status)) {
    checkpoint = load_file(path);
  } else {
    throw Error(path.string() + ": not a regular file or directory; pass a model directory or checkpoint file");
  }
  checkpoint.weights.set_description(path.string() + " (" + checkpoint.format + " checkpoint)");
  read_q4_0_blocks(checkpoint);
  attach_int8_scales(checkpoint);
  if (tokenizer) checkpoint.tokenizer = *tokenizer;
  return checkpoint;
}

}  // namespace attn
