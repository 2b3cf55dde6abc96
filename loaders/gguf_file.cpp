#include "loaders/gguf_file.h"

#include <array>
#include <cstring>
#include <fstream>
#include <set>

#include "attn/error.h"

namespace attn {
namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as a little-endian uint32
constexpr int kMaxDims = 4;              // GGML_MAX_DIMS
constexpr int kMaxArrayNesting = 8;      // deeper is not a real file, and would recurse without bound

struct TypeLayout {
  GgmlType type;
  const char* name;
  uint64_t block;  // elements per block
  uint64_t bytes;  // bytes per block
};

// ggml's type traits (ggml.c type_traits: blck_size, type_size).
constexpr std::array kTypes{
    TypeLayout{GgmlType::F32, "F32", 1, 4},          TypeLayout{GgmlType::F16, "F16", 1, 2},
    TypeLayout{GgmlType::Q4_0, "Q4_0", 32, 18},      TypeLayout{GgmlType::Q4_1, "Q4_1", 32, 20},
    TypeLayout{GgmlType::Q5_0, "Q5_0", 32, 22},      TypeLayout{GgmlType::Q5_1, "Q5_1", 32, 24},
    TypeLayout{GgmlType::Q8_0, "Q8_0", 32, 34},      TypeLayout{GgmlType::Q8_1, "Q8_1", 32, 36},
    TypeLayout{GgmlType::Q2_K, "Q2_K", 256, 84},     TypeLayout{GgmlType::Q3_K, "Q3_K", 256, 110},
    TypeLayout{GgmlType::Q4_K, "Q4_K", 256, 144},    TypeLayout{GgmlType::Q5_K, "Q5_K", 256, 176},
    TypeLayout{GgmlType::Q6_K, "Q6_K", 256, 210},    TypeLayout{GgmlType::Q8_K, "Q8_K", 256, 292},
    TypeLayout{GgmlType::IQ2_XXS, "IQ2_XXS", 256, 66}, TypeLayout{GgmlType::IQ2_XS, "IQ2_XS", 256, 74},
    TypeLayout{GgmlType::IQ3_XXS, "IQ3_XXS", 256, 98}, TypeLayout{GgmlType::IQ1_S, "IQ1_S", 256, 50},
    TypeLayout{GgmlType::IQ4_NL, "IQ4_NL", 32, 18},  TypeLayout{GgmlType::IQ3_S, "IQ3_S", 256, 110},
    TypeLayout{GgmlType::IQ2_S, "IQ2_S", 256, 82},   TypeLayout{GgmlType::IQ4_XS, "IQ4_XS", 256, 136},
    TypeLayout{GgmlType::I8, "I8", 1, 1},            TypeLayout{GgmlType::I16, "I16", 1, 2},
    TypeLayout{GgmlType::I32, "I32", 1, 4},          TypeLayout{GgmlType::I64, "I64", 1, 8},
    TypeLayout{GgmlType::F64, "F64", 1, 8},          TypeLayout{GgmlType::IQ1_M, "IQ1_M", 256, 56},
    TypeLayout{GgmlType::BF16, "BF16", 1, 2},        TypeLayout{GgmlType::TQ1_0, "TQ1_0", 256, 54},
    TypeLayout{GgmlType::TQ2_0, "TQ2_0", 256, 66},   TypeLayout{GgmlType::MXFP4, "MXFP4", 32, 17},
};

const TypeLayout* find_type(uint32_t id) {
  for (const TypeLayout& t : kTypes)
    if (static_cast<uint32_t>(t.type) == id) return &t;
  return nullptr;
}

// GGUF metadata value types (gguf_type).
enum ValueType : uint32_t {
  kU8 = 0, kI8 = 1, kU16 = 2, kI16 = 3, kU32 = 4, kI32 = 5, kF32 = 6, kBool = 7,
  kString = 8, kArray = 9, kU64 = 10, kI64 = 11, kF64 = 12,
};
constexpr std::array<const char*, 13> kValueTypeNames{"uint8", "int8",   "uint16", "int16", "uint32", "int32", "float32",
                                                      "bool",  "string", "array",  "uint64", "int64", "float64"};

// The fewest bytes one value of `type` takes, to refuse counts the rest of
// the file cannot hold before allocating anything.
uint64_t min_value_bytes(uint32_t type) {
  switch (type) {
    case kU8: case kI8: case kBool: return 1;
    case kU16: case kI16: return 2;
    case kU32: case kI32: case kF32: return 4;
    case kString: case kU64: case kI64: case kF64: return 8;
    case kArray: return 12;  // element type + count
    default: return 1;
  }
}

class Cursor {
 public:
  Cursor(const std::byte* data, size_t size, const std::string& source) : data_(data), size_(size), source_(source) {}

  [[noreturn]] void fail(const std::string& problem) const {
    throw Error(source_ + ": not a valid GGUF file: " + problem + " (at byte " + std::to_string(pos_) + " of " +
                std::to_string(size_) + ")");
  }
  uint64_t position() const { return pos_; }
  uint64_t remaining() const { return size_ - pos_; }

  template <typename T>
  T read(const char* what) {
    if (remaining() < sizeof(T)) fail(std::string("the file ends inside ") + what + "; it is truncated");
    T value;
    std::memcpy(&value, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return value;
  }

  std::string read_string(const std::string& what) {
    const uint64_t length = read<uint64_t>("a string length");
    if (length > remaining()) {
      fail(what + " claims " + std::to_string(length) + " bytes but only " + std::to_string(remaining()) +
           " remain; the file is truncated or corrupt");
    }
    std::string text(reinterpret_cast<const char*>(data_ + pos_), length);
    pos_ += length;
    return text;
  }

  // A count of items of at least `item_bytes` each that must fit in the rest of the file.
  uint64_t read_count(const std::string& what, uint64_t item_bytes) {
    const uint64_t count = read<uint64_t>(what.c_str());
    if (count > remaining() / item_bytes) {
      fail(what + " is " + std::to_string(count) + ", more than the remaining " + std::to_string(remaining()) +
           " bytes can hold; the file is corrupt");
    }
    return count;
  }

 private:
  const std::byte* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
  const std::string& source_;
};

std::string value_type_name(uint32_t type) {
  return type < kValueTypeNames.size() ? kValueTypeNames[type] : "type " + std::to_string(type);
}

nlohmann::json read_value(Cursor& in, uint32_t type, const std::string& key, int depth, std::string& type_name);

nlohmann::json read_array(Cursor& in, const std::string& key, int depth, std::string& type_name) {
  if (depth >= kMaxArrayNesting) in.fail("metadata '" + key + "' nests arrays deeper than " + std::to_string(kMaxArrayNesting));
  const uint32_t element_type = in.read<uint32_t>("an array's element type");
  if (element_type > kF64) in.fail("metadata '" + key + "' is an array of unknown type " + std::to_string(element_type));
  const uint64_t count = in.read_count("the length of array '" + key + "'", min_value_bytes(element_type));
  nlohmann::json values = nlohmann::json::array();
  values.get_ref<nlohmann::json::array_t&>().reserve(count);
  std::string element_name = value_type_name(element_type);
  for (uint64_t i = 0; i < count; ++i) values.push_back(read_value(in, element_type, key, depth + 1, element_name));
  type_name = "array[" + element_name + "]";
  return values;
}

nlohmann::json read_value(Cursor& in, uint32_t type, const std::string& key, int depth, std::string& type_name) {
  type_name = value_type_name(type);
  switch (type) {
    case kU8: return in.read<uint8_t>("a uint8 value");
    case kI8: return in.read<int8_t>("an int8 value");
    case kU16: return in.read<uint16_t>("a uint16 value");
    case kI16: return in.read<int16_t>("an int16 value");
    case kU32: return in.read<uint32_t>("a uint32 value");
    case kI32: return in.read<int32_t>("an int32 value");
    case kU64: return in.read<uint64_t>("a uint64 value");
    case kI64: return in.read<int64_t>("an int64 value");
    case kF32: return in.read<float>("a float32 value");
    case kF64: return in.read<double>("a float64 value");
    case kBool: {
      const uint8_t value = in.read<uint8_t>("a bool value");
      if (value > 1) in.fail("metadata '" + key + "' holds bool value " + std::to_string(value) + " (must be 0 or 1)");
      return value == 1;
    }
    case kString: return in.read_string("a string of metadata '" + key + "'");
    case kArray: return read_array(in, key, depth, type_name);
    default: in.fail("metadata '" + key + "' has unknown value type " + std::to_string(type));
  }
}

void read_metadata(Cursor& in, uint64_t count, GgufFile& gguf) {
  for (uint64_t i = 0; i < count; ++i) {
    std::string key = in.read_string("metadata key " + std::to_string(i));
    if (gguf.metadata.contains(key)) in.fail("metadata key '" + key + "' appears twice");
    const uint32_t type = in.read<uint32_t>("a metadata value type");
    std::string type_name;
    gguf.metadata[key] = read_value(in, type, key, 0, type_name);
    gguf.metadata_types.emplace_back(std::move(key), std::move(type_name));
  }
}

uint64_t read_alignment(const Cursor& in, const GgufFile& gguf) {
  if (!gguf.metadata.contains("general.alignment")) return 32;
  const auto& value = gguf.metadata["general.alignment"];
  if (!value.is_number_unsigned() || value.get<uint64_t>() == 0 || (value.get<uint64_t>() & (value.get<uint64_t>() - 1)) != 0 ||
      value.get<uint64_t>() > (1u << 30)) {
    in.fail("general.alignment is " + value.dump() + "; it must be a power of two");
  }
  return value.get<uint64_t>();
}

GgufTensorInfo read_tensor_info(Cursor& in) {
  GgufTensorInfo tensor;
  tensor.name = in.read_string("a tensor name");
  const std::string what = "tensor '" + tensor.name + "'";
  const uint32_t dims = in.read<uint32_t>("a tensor's dimension count");
  if (dims == 0 || dims > kMaxDims) {
    in.fail(what + " has " + std::to_string(dims) + " dimensions; ggml tensors have 1 to " + std::to_string(kMaxDims));
  }
  for (uint32_t d = 0; d < dims; ++d) {
    const uint64_t extent = in.read<uint64_t>("a tensor dimension");
    if (extent == 0 || extent > (uint64_t{1} << 40)) in.fail(what + " has dimension " + std::to_string(extent));
    tensor.ne.push_back(static_cast<int64_t>(extent));
  }
  const uint32_t type = in.read<uint32_t>("a tensor type");
  const TypeLayout* layout = find_type(type);
  if (!layout) in.fail(what + " has unknown ggml type " + std::to_string(type));
  tensor.type = layout->type;
  tensor.offset = in.read<uint64_t>("a tensor data offset");
  if (tensor.ne[0] % static_cast<int64_t>(layout->block) != 0) {
    in.fail(what + " of type " + layout->name + " has " + std::to_string(tensor.ne[0]) +
            " elements per row, not a multiple of its block of " + std::to_string(layout->block));
  }
  // Each extent is below 2^40 and there are at most 4, so 128 bits cannot overflow.
  unsigned __int128 bytes = static_cast<unsigned __int128>(tensor.ne[0]) / layout->block * layout->bytes;
  for (uint32_t d = 1; d < dims; ++d) bytes *= static_cast<uint64_t>(tensor.ne[d]);
  if (bytes > (static_cast<unsigned __int128>(1) << 62)) in.fail(what + " is larger than any file");
  tensor.nbytes = static_cast<uint64_t>(bytes);
  return tensor;
}

void check_tensor_data(const Cursor& in, const GgufFile& gguf, uint64_t file_size) {
  std::set<std::string_view> names;
  for (const GgufTensorInfo& tensor : gguf.tensors) {
    const std::string what = "tensor '" + tensor.name + "'";
    if (!names.insert(tensor.name).second) in.fail(what + " appears twice");
    if (tensor.offset % gguf.alignment != 0) {
      in.fail(what + " starts at data offset " + std::to_string(tensor.offset) + ", not a multiple of the alignment " +
              std::to_string(gguf.alignment));
    }
    const uint64_t available = file_size - gguf.data_offset;
    if (tensor.offset > available || tensor.nbytes > available - tensor.offset) {
      in.fail(what + " (" + std::to_string(tensor.nbytes) + " bytes at data offset " + std::to_string(tensor.offset) +
              ") ends past the end of the file; the file is truncated");
    }
  }
}

}  // namespace

std::string ggml_type_name(GgmlType type) {
  const TypeLayout* layout = find_type(static_cast<uint32_t>(type));
  return layout ? layout->name : "type " + std::to_string(static_cast<uint32_t>(type));
}

const GgufTensorInfo* GgufFile::find_tensor(std::string_view name) const {
  for (const GgufTensorInfo& tensor : tensors)
    if (tensor.name == name) return &tensor;
  return nullptr;
}

bool is_gguf_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  uint32_t magic = 0;
  return in.read(reinterpret_cast<char*>(&magic), sizeof magic) && magic == kMagic;
}

GgufFile parse_gguf(const std::byte* data, size_t size, const std::string& name) {
  GgufFile gguf;
  gguf.bytes = data;
  gguf.source = name;
  Cursor in(data, size, gguf.source);
  if (in.read<uint32_t>("the magic") != kMagic) in.fail("it does not start with the magic \"GGUF\"");
  gguf.version = in.read<uint32_t>("the version");
  if (gguf.version != 2 && gguf.version != 3) {
    in.fail("version " + std::to_string(gguf.version) + " is not supported (attn reads GGUF versions 2 and 3" +
            (gguf.version == 1 ? "; re-convert this version-1 file with a current llama.cpp)" : ")"));
  }
  // A tensor description takes at least 32 bytes; a key/value at least 8 + 4 + 1.
  const uint64_t tensor_count = in.read_count("the tensor count", 32);
  const uint64_t metadata_count = in.read_count("the metadata count", 13);
  read_metadata(in, metadata_count, gguf);
  gguf.alignment = read_alignment(in, gguf);
  gguf.tensors.reserve(tensor_count);
  for (uint64_t i = 0; i < tensor_count; ++i) gguf.tensors.push_back(read_tensor_info(in));
  const uint64_t end_of_infos = in.position();
  gguf.data_offset = (end_of_infos + gguf.alignment - 1) / gguf.alignment * gguf.alignment;
  if (gguf.data_offset > size && !gguf.tensors.empty()) in.fail("the file ends before its tensor data; it is truncated");
  check_tensor_data(in, gguf, size);
  return gguf;
}

GgufFile read_gguf(const std::filesystem::path& path) {
  auto file = MappedFile::open(path);
  GgufFile gguf = parse_gguf(file->data(), file->size(), path.string());
  gguf.file = std::move(file);
  return gguf;
}

}  // namespace attn
