// Writer for the safetensors format, the inverse of read_safetensors: used by
// the tests to build checkpoints and by tools that convert or quantize them.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/tensor.h"

namespace attn {

// Writes the tensors in the given order, contiguously, after a header padded
// with spaces to a multiple of 8 bytes (so every tensor stays aligned, as the
// spec recommends). `metadata` becomes "__metadata__" when not empty. Throws
// attn::Error on duplicate names or when the file cannot be written.
void write_safetensors(const std::filesystem::path& path,
                       const std::vector<std::pair<std::string, Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace attn
