// Reader for GGUF files (ggml's docs/gguf.md), versions 2 and 3,
// little-endian: a header, typed metadata key/values, tensor descriptions,
// then the tensor data at `general.alignment`. The whole file is validated
// here (every length, count, type, shape and data range) before anything
// reads tensor bytes, so a corrupt file is an attn::Error, never a crash.
// Tensors are not copied: callers view them in the memory mapping.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/mapped_file.h"

namespace attn {

// ggml's tensor element types (ggml_type), as numbered in the file.
enum class GgmlType : uint32_t {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
  Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
  IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22, IQ4_XS = 23,
  I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30, TQ1_0 = 34, TQ2_0 = 35, MXFP4 = 39,
};

// "Q4_0", ...; "type N" for a number ggml does not define.
std::string ggml_type_name(GgmlType type);

struct GgufTensorInfo {
  std::string name;
  std::vector<int64_t> ne;  // ggml order: ne[0] is the innermost (contiguous) dimension
  GgmlType type;
  uint64_t offset;          // from the start of the data section
  uint64_t nbytes;
  // The row-major shape as Hugging Face writes it: ne reversed.
  std::vector<int64_t> shape() const { return {ne.rbegin(), ne.rend()}; }
};

struct GgufFile {
  std::shared_ptr<const MappedFile> file;  // null when parsed from memory
  const std::byte* bytes = nullptr;         // the whole file
  std::string source;                       // the path, for messages
  uint32_t version = 0;
  uint64_t alignment = 32;
  // Values as JSON (integers, floats, bools, strings, nested arrays; strings
  // are the file's bytes, not checked for UTF-8). `metadata_types` lists the
  // keys in file order with each one's GGUF type ("uint32",
  // "array[string]", ...) for `attn inspect`.
  nlohmann::json metadata = nlohmann::json::object();
  std::vector<std::pair<std::string, std::string>> metadata_types;
  std::vector<GgufTensorInfo> tensors;
  uint64_t data_offset = 0;  // where the data section starts in the file

  const std::byte* tensor_data(const GgufTensorInfo& tensor) const { return bytes + data_offset + tensor.offset; }
  const GgufTensorInfo* find_tensor(std::string_view name) const;
};

// True when the file starts with the GGUF magic.
bool is_gguf_file(const std::filesystem::path& path);

// Maps and validates the whole file. Throws attn::Error naming the file,
// the byte offset and the problem.
GgufFile read_gguf(const std::filesystem::path& path);

// The same for bytes already in memory (the fuzz target); `name` is used in
// messages. The returned file's `file` is null.
GgufFile parse_gguf(const std::byte* data, size_t size, const std::string& name);

}  // namespace attn
