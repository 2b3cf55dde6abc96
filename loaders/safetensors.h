// Reader for the safetensors format (https://github.com/huggingface/safetensors):
// an 8-byte little-endian header length, a JSON header mapping tensor names to
// {dtype, shape, data_offsets}, then the raw tensor bytes. Tensors are
// zero-copy views into a memory mapping of the file.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "engine/tensor.h"

namespace attn {

struct SafetensorsFile {
  std::map<std::string, Tensor> tensors;           // each keeps the mapping alive
  std::map<std::string, std::string> metadata;     // the optional "__metadata__" entry
};

// Validates the whole header before handing out any view, so a corrupt or
// truncated file raises attn::Error (naming the file, the tensor and the
// problem) instead of reading out of bounds.
SafetensorsFile read_safetensors(const std::filesystem::path& path);

}  // namespace attn
