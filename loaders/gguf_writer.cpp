#include "loaders/gguf_writer.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "attn/error.h"

namespace attn {
namespace {

using nlohmann::json;

constexpr uint64_t kAlignment = 32;  // GGUF's default general.alignment
enum ValueType : uint32_t { kU32 = 4, kI32 = 5, kF32 = 6, kBool = 7, kString = 8, kArray = 9, kU64 = 10, kI64 = 11 };

class Bytes {
 public:
  template <typename T>
  void put(T value) {
    data_.append(reinterpret_cast<const char*>(&value), sizeof value);
  }
  void string(const std::string& text) {
    put<uint64_t>(text.size());
    data_ += text;
  }
  void pad() { data_.append((kAlignment - data_.size() % kAlignment) % kAlignment, '\0'); }
  const std::string& data() const { return data_; }

 private:
  std::string data_;
};

ValueType scalar_type(const std::string& key, const json& value) {
  if (value.is_string()) return kString;
  if (value.is_boolean()) return kBool;
  if (value.is_number_float()) return kF32;
  if (value.is_number_unsigned() || (value.is_number_integer() && value.get<int64_t>() >= 0)) {
    return value.get<uint64_t>() <= UINT32_MAX ? kU32 : kU64;
  }
  if (value.is_number_integer()) return value.get<int64_t>() >= INT32_MIN ? kI32 : kI64;
  throw Error("GGUF metadata '" + key + "': no GGUF type for " + value.dump().substr(0, 80));
}

void put_scalar(Bytes& out, ValueType type, const json& value) {
  switch (type) {
    case kString: return out.string(value.get<std::string>());
    case kBool: return out.put<uint8_t>(value.get<bool>() ? 1 : 0);
    case kF32: return out.put<float>(value.get<float>());
    case kU32: return out.put<uint32_t>(value.get<uint32_t>());
    case kU64: return out.put<uint64_t>(value.get<uint64_t>());
    case kI32: return out.put<int32_t>(value.get<int32_t>());
    case kI64: return out.put<int64_t>(value.get<int64_t>());
    default: break;
  }
}

void put_value(Bytes& out, const std::string& key, const json& value) {
  if (!value.is_array()) {
    const ValueType type = scalar_type(key, value);
    out.put<uint32_t>(type);
    return put_scalar(out, type, value);
  }
  // One element type for the array: string, bool, float32 if any element has a fraction, else int32.
  const auto kind = [](const json& v) { return v.is_string() ? 0 : v.is_boolean() ? 1 : v.is_number() ? 2 : 3; };
  ValueType element = value.empty() || kind(value[0]) == 2 ? kI32 : kind(value[0]) == 0 ? kString : kBool;
  for (const json& v : value) {
    if (kind(v) == 3 || kind(v) != kind(value[0])) throw Error("GGUF metadata '" + key + "': an array of mixed or nested values");
    if (v.is_number_float()) element = kF32;
    if (v.is_number_integer() && (v.get<int64_t>() < INT32_MIN || v.get<int64_t>() > INT32_MAX)) {
      throw Error("GGUF metadata '" + key + "': array value " + v.dump() + " does not fit int32");
    }
  }
  out.put<uint32_t>(kArray);
  out.put<uint32_t>(element);
  out.put<uint64_t>(value.size());
  for (const json& v : value) put_scalar(out, element, v);
}

uint32_t ggml_type_of(const std::string& name, DType dtype) {
  switch (dtype) {
    case DType::F32: return 0;
    case DType::F16: return 1;
    case DType::BF16: return 30;
    default:
      if (dtype_block_elements(dtype) > 1) return static_cast<uint32_t>(dtype) - 1000;
      throw Error("GGUF tensor '" + name + "': GGUF has no type for " + std::string(dtype_name(dtype)) +
                  " weights (write f32, f16, bf16 or a ggml block type)");
  }
}

}  // namespace

void write_gguf(const std::filesystem::path& path, const GgufMetadata& metadata,
                const std::vector<std::pair<std::string, Tensor>>& tensors) {
  Bytes header;
  header.put<uint32_t>(0x46554747);  // "GGUF"
  header.put<uint32_t>(3);
  header.put<uint64_t>(tensors.size());
  header.put<uint64_t>(metadata.size());
  for (const auto& [key, value] : metadata) {
    header.string(key);
    put_value(header, key, value);
  }
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    header.string(name);
    header.put<uint32_t>(static_cast<uint32_t>(tensor.rank()));
    for (int d = tensor.rank() - 1; d >= 0; --d) header.put<uint64_t>(static_cast<uint64_t>(tensor.dim(d)));
    header.put<uint32_t>(ggml_type_of(name, tensor.dtype()));
    header.put<uint64_t>(offset);
    offset += (tensor.nbytes() + kAlignment - 1) / kAlignment * kAlignment;
  }
  header.pad();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(header.data().data(), static_cast<std::streamsize>(header.data().size()));
  const char zeros[kAlignment] = {};
  for (const auto& [name, tensor] : tensors) {
    out.write(static_cast<const char*>(tensor.data()), static_cast<std::streamsize>(tensor.nbytes()));
    out.write(zeros, static_cast<std::streamsize>((kAlignment - tensor.nbytes() % kAlignment) % kAlignment));
  }
  out.close();
  if (!out) {
    throw Error(path.string() + ": cannot write (" + std::strerror(errno) +
                "); check that the directory exists, is writable and has free space");
  }
}

}  // namespace attn
