#include "loaders/safetensors.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "attn/error.h"
#include "engine/checked_shape.h"
#include "engine/mapped_file.h"
#include "json/checked.h"

namespace attn {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

static_assert(std::endian::native == std::endian::little,
              "safetensors headers and tensor data are little-endian; big-endian hosts would need byte swaps");

// A header this large is not a real checkpoint (real ones are kilobytes to a
// few megabytes); refusing early avoids parsing gigabytes of garbage.
constexpr uint64_t kMaxHeaderBytes = uint64_t{100} << 20;
constexpr uint64_t kLengthBytes = 8;
constexpr const char* kCorrupt = "; the file is corrupt or truncated, re-download or re-export it";

[[noreturn]] void fail(const fs::path& path, const std::string& problem, const char* advice = kCorrupt) {
  throw Error(path.string() + ": " + problem + advice);
}

std::optional<DType> parse_dtype(std::string_view name) {
  for (DType dtype : {DType::F32, DType::F16, DType::BF16, DType::I32, DType::I64, DType::I8, DType::U8}) {
    if (dtype_name(dtype) == name) return dtype;
  }
  return std::nullopt;
}

// A JSON value usable as a size or offset: an integer in [0, INT64_MAX].
std::optional<uint64_t> as_count(const json& value) {
  const auto count = json_integer(value, 0, INT64_MAX);
  if (!count) return std::nullopt;
  return static_cast<uint64_t>(*count);
}

// Bytes needed by a tensor of `dims` elements of `dtype`; nullopt if the
// product does not fit in 64 bits (no file can hold such a tensor).
std::optional<uint64_t> byte_size(const std::vector<uint64_t>& dims, DType dtype) {
  uint64_t bytes = dtype_size(dtype);
  for (uint64_t dim : dims) {
    if (__builtin_mul_overflow(bytes, dim, &bytes)) return std::nullopt;
  }
  return bytes;
}

struct Entry {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t begin;  // offsets relative to the start of the data section
  uint64_t end;
};

uint64_t read_header_length(const MappedFile& file) {
  if (file.size() < kLengthBytes) {
    fail(file.path(), "file has " + std::to_string(file.size()) +
                          " bytes, fewer than the 8-byte header length a safetensors file starts with");
  }
  uint64_t length;
  std::memcpy(&length, file.data(), sizeof length);
  if (length > kMaxHeaderBytes) {
    fail(file.path(), "header length " + std::to_string(length) + " is absurd (over 100 MB)",
         "; this is not a safetensors file or it is corrupt");
  }
  if (length > file.size() - kLengthBytes) {
    fail(file.path(), "header length " + std::to_string(length) + " exceeds the " +
                          std::to_string(file.size() - kLengthBytes) + " bytes that follow it");
  }
  return length;
}

json parse_header(const MappedFile& file, uint64_t length) {
  const auto* begin = reinterpret_cast<const char*>(file.data()) + kLengthBytes;
  json header;
  try {
    header = parse_json(std::string_view(begin, length), "header");
  } catch (const Error& e) {
    fail(file.path(), e.what());
  }
  if (!header.is_object()) fail(file.path(), "header is JSON but not an object of tensors");
  return header;
}

const json& required_field(const fs::path& path, const std::string& tensor, const json& entry,
                           const char* field) {
  auto it = entry.find(field);
  if (it == entry.end()) fail(path, "tensor '" + tensor + "' has no \"" + field + "\" field");
  return *it;
}

DType parse_entry_dtype(const fs::path& path, const std::string& name, const json& entry) {
  const json& value = required_field(path, name, entry, "dtype");
  if (!value.is_string()) fail(path, "tensor '" + name + "' has a non-string dtype " + value.dump());
  const std::string text = value.get<std::string>();
  const auto dtype = parse_dtype(text);
  if (!dtype) {
    fail(path, "tensor '" + name + "' has dtype " + text + ", which attn does not support",
         "; attn reads F32, F16, BF16, I8, U8 (Q4_0 blocks), I32 and I64 tensors, convert the checkpoint to one of them");
  }
  return *dtype;
}

std::vector<uint64_t> parse_entry_dims(const fs::path& path, const std::string& name, const json& entry) {
  const json& value = required_field(path, name, entry, "shape");
  if (!value.is_array()) fail(path, "tensor '" + name + "' has shape " + value.dump() + ", not an array");
  std::vector<uint64_t> dims;
  for (const json& dim : value) {
    const auto count = as_count(dim);
    if (!count) {
      fail(path, "tensor '" + name + "' has shape " + value.dump() +
                     " with a negative or non-integer dimension");
    }
    dims.push_back(*count);
  }
  return dims;
}

Entry parse_entry(const fs::path& path, const std::string& name, const json& entry, uint64_t data_size) {
  if (!entry.is_object()) fail(path, "entry for tensor '" + name + "' is not an object");
  const DType dtype = parse_entry_dtype(path, name, entry);
  const std::vector<uint64_t> dims = parse_entry_dims(path, name, entry);
  Shape shape(dims.begin(), dims.end());

  const json& offsets = required_field(path, name, entry, "data_offsets");
  const auto begin = offsets.is_array() && offsets.size() == 2 ? as_count(offsets[0]) : std::nullopt;
  const auto end = offsets.is_array() && offsets.size() == 2 ? as_count(offsets[1]) : std::nullopt;
  if (!begin || !end || *begin > *end) {
    fail(path, "tensor '" + name + "' has data_offsets " + offsets.dump() +
                   ", not a [begin, end] pair of offsets with begin <= end");
  }
  if (*end > data_size) {
    fail(path, "tensor '" + name + "' has data_offsets " + offsets.dump() + " past the end of the " +
                   std::to_string(data_size) + " data bytes");
  }
  const auto needed = byte_size(dims, dtype);
  if (needed != *end - *begin) {
    fail(path, "tensor '" + name + "' spans " + std::to_string(*end - *begin) + " bytes but shape " +
                   shape_to_string(shape) + " of " + std::string(dtype_name(dtype)) + " needs " +
                   (needed ? std::to_string(*needed) : std::string("more than 2^64")) + " bytes");
  }
  // A zero dimension makes the byte count 0 whatever the others are.
  if (!shape_fits(shape)) fail(path, "tensor '" + name + "' has shape " + shape_to_string(shape) + ", too large to address");
  return Entry{name, dtype, std::move(shape), *begin, *end};
}

// Overlapping tensors mean a corrupt header; gaps are harmless and tolerated.
void check_no_overlap(const fs::path& path, std::vector<Entry> entries) {
  std::erase_if(entries, [](const Entry& e) { return e.begin == e.end; });
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.begin < b.begin; });
  for (size_t i = 1; i < entries.size(); ++i) {
    if (entries[i].begin < entries[i - 1].end) {
      fail(path, "tensors '" + entries[i - 1].name + "' and '" + entries[i].name + "' overlap");
    }
  }
}

std::map<std::string, std::string> parse_metadata(const fs::path& path, const json& value) {
  if (!value.is_object()) fail(path, "\"__metadata__\" is not an object");
  std::map<std::string, std::string> metadata;
  for (const auto& [key, text] : value.items()) {
    if (!text.is_string()) fail(path, "\"__metadata__\" value for '" + key + "' is not a string");
    metadata.emplace(key, text.get<std::string>());
  }
  return metadata;
}

// A view into the mapping; the header length is not always a multiple of 8
// (the spec pads it, not every writer does), so a misaligned tensor is copied
// once rather than handing kernels a pointer they may not dereference.
Tensor make_tensor(const std::shared_ptr<const MappedFile>& file, uint64_t data_start, const Entry& entry) {
  const std::byte* data = file->data() + data_start + entry.begin;
  if (reinterpret_cast<uintptr_t>(data) % dtype_size(entry.dtype) == 0) {
    return Tensor(entry.dtype, entry.shape, data, file);
  }
  Tensor copy = Tensor::zeros(entry.dtype, entry.shape);
  std::memcpy(copy.mutable_data_as<std::byte>(), data, entry.end - entry.begin);
  return copy;
}

}  // namespace

SafetensorsFile read_safetensors(const fs::path& path) {
  const auto file = MappedFile::open(path);
  const uint64_t header_length = read_header_length(*file);
  const json header = parse_header(*file, header_length);
  const uint64_t data_start = kLengthBytes + header_length;
  const uint64_t data_size = file->size() - data_start;

  SafetensorsFile result;
  std::vector<Entry> entries;
  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__") {
      result.metadata = parse_metadata(path, value);
    } else {
      entries.push_back(parse_entry(path, name, value, data_size));
    }
  }
  check_no_overlap(path, entries);
  for (const Entry& entry : entries) result.tensors.emplace(entry.name, make_tensor(file, data_start, entry));
  return result;
}

}  // namespace attn
