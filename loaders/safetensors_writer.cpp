#include "loaders/safetensors_writer.h"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "attn/error.h"

namespace attn {
namespace {

using nlohmann::json;

// The JSON header with contiguous data offsets, padded with spaces so the
// data section starts 8-byte aligned.
std::string make_header(const std::filesystem::path& path,
                        const std::vector<std::pair<std::string, Tensor>>& tensors,
                        const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    if (header.contains(name)) {
      throw Error(path.string() + ": cannot write tensor '" + name +
                  "': the name is used twice (or is the reserved \"__metadata__\")");
    }
    if (tensor.empty() && tensor.numel() > 0) {
      throw Error(path.string() + ": cannot write tensor '" + name + "': it has no data");
    }
    header[name] = {{"dtype", dtype_name(tensor.dtype())},
                    {"shape", tensor.shape()},
                    {"data_offsets", {offset, offset + tensor.nbytes()}}};
    offset += tensor.nbytes();
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  return text;
}

}  // namespace

void write_safetensors(const std::filesystem::path& path,
                       const std::vector<std::pair<std::string, Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  const std::string header = make_header(path, tensors, metadata);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  const uint64_t length = header.size();  // little-endian on every host attn supports
  out.write(reinterpret_cast<const char*>(&length), sizeof length);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  for (const auto& [name, tensor] : tensors) {
    out.write(static_cast<const char*>(tensor.data()), static_cast<std::streamsize>(tensor.nbytes()));
  }
  out.close();
  if (!out) {
    throw Error(path.string() + ": cannot write (" + std::strerror(errno) +
                "); check that the directory exists, is writable and has free space");
  }
}

}  // namespace attn
