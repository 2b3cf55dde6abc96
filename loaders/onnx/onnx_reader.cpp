#include "loaders/onnx/onnx_reader.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>

#include "attn/error.h"
#include "engine/checked_shape.h"
#include "engine/mapped_file.h"
#include "loaders/onnx/onnx_messages.h"

namespace attn {
namespace {

namespace fs = std::filesystem;
using interpreter::Array;

// State shared while one file is read: the mapped file (raw_data views
// point into it), where external data lives and the files already mapped.
struct ReadContext {
  std::shared_ptr<const MappedFile> file;
  std::map<fs::path, std::shared_ptr<const MappedFile>> external_files;
  std::string name() const { return file->path().string(); }
};

// A view of `data` kept alive by `owner`, or a copy when the address does
// not suit the element type (raw_data and external data sit wherever the
// file put them).
Array view_or_copy(DType type, const Shape& shape, const std::byte* data, int64_t nbytes,
                   std::shared_ptr<const void> owner) {
  if (reinterpret_cast<uintptr_t>(data) % dtype_size(type) != 0) {
    Array copy(type, shape);
    if (nbytes > 0) std::memcpy(copy.mutable_as<std::byte>(), data, static_cast<size_t>(nbytes));
    return copy;
  }
  return Array(type, shape, data, std::move(owner));
}

Array copy_typed_field(const onnx::Tensor& t, DType type, const Shape& shape, const std::string& where) {
  const int64_t n = shape_numel(shape);
  const size_t stored = std::max({t.float_data.size(), t.double_data.size(), t.int64_data.size(),
                                  t.uint64_data.size(), t.int32_data.size()});
  auto check = [&](size_t count) {
    if (static_cast<int64_t>(count) != n) {
      throw Error(where + ": holds " + std::to_string(count) + " values but its shape " + shape_to_string(shape) +
                  " needs " + std::to_string(n));
    }
  };
  check(stored);  // before allocating: a damaged shape must not ask for terabytes
  Array out(type, shape);
  switch (type) {
    case DType::F32:
      check(t.float_data.size());
      std::copy(t.float_data.begin(), t.float_data.end(), out.mutable_as<float>());
      break;
    case DType::F64:
      check(t.double_data.size());
      std::copy(t.double_data.begin(), t.double_data.end(), out.mutable_as<double>());
      break;
    case DType::I64:
      check(t.int64_data.size());
      std::copy(t.int64_data.begin(), t.int64_data.end(), out.mutable_as<int64_t>());
      break;
    case DType::U32:
    case DType::U64:
      check(t.uint64_data.size());
      interpreter::visit_type(type, [&](auto tag) {
        using T = decltype(tag);
        for (int64_t i = 0; i < n; ++i) out.mutable_as<T>()[i] = static_cast<T>(t.uint64_data[i]);
      });
      break;
    default:  // int32_data holds the narrower integer types, bool and 16-bit float bit patterns
      check(t.int32_data.size());
      interpreter::visit_type(type, [&](auto tag) {
        using T = decltype(tag);
        for (int64_t i = 0; i < n; ++i) {
          if constexpr (std::is_same_v<T, interpreter::Half> || std::is_same_v<T, interpreter::BFloat>) {
            out.mutable_as<T>()[i].bits = static_cast<uint16_t>(t.int32_data[i]);
          } else {
            out.mutable_as<T>()[i] = static_cast<T>(t.int32_data[i]);
          }
        }
      });
      break;
  }
  return out;
}

// An external-data offset or length: decimal digits within int64_t, nothing else.
std::optional<int64_t> parse_count(const std::string& text) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || stop != end || value < 0) return std::nullopt;
  return value;
}

Array external_tensor(const onnx::Tensor& t, DType type, const Shape& shape, int64_t nbytes, ReadContext& context,
                      const std::string& where) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto& entry : t.external_data) {
    if (entry.key == "location") location = entry.value;
    if (entry.key != "offset" && entry.key != "length") continue;
    const auto count = parse_count(entry.value);
    if (!count) throw Error(where + ": external data " + entry.key + " '" + entry.value + "' is not a byte count");
    (entry.key == "offset" ? offset : length) = *count;
  }
  const fs::path relative(location);
  if (location.empty() || relative.is_absolute() || relative.lexically_normal().string().starts_with("..")) {
    throw Error(where + ": external data location '" + location + "' must be a file beside the model");
  }
  const fs::path path = context.file->path().parent_path() / relative;
  auto& mapped = context.external_files[path];
  if (!mapped) mapped = MappedFile::open(path);
  if (length >= 0 && length != nbytes) {
    throw Error(where + ": external data length " + std::to_string(length) + " differs from the " +
                std::to_string(nbytes) + " bytes its shape " + shape_to_string(shape) + " needs");
  }
  const auto file_size = static_cast<int64_t>(mapped->size());
  if (nbytes > file_size || offset > file_size - nbytes) {  // offset + nbytes could overflow
    throw Error(where + ": external data of " + std::to_string(nbytes) + " bytes at offset " + std::to_string(offset) +
                " lies outside " + path.string() + " (" + std::to_string(mapped->size()) +
                " bytes); the model and its data file do not match");
  }
  return view_or_copy(type, shape, mapped->data() + offset, nbytes, mapped);
}

Array convert_tensor(const onnx::Tensor& t, ReadContext& context, const std::string& what) {
  const std::string where = context.name() + ": " + what + " '" + t.name + "'";
  if (!interpreter::is_known_elem_type(t.data_type)) {
    throw Error(where + ": element type " + std::to_string(t.data_type) +
                " (string, complex or 8-bit float) is not supported");
  }
  const auto type = static_cast<DType>(t.data_type);
  const Shape shape(t.dims.begin(), t.dims.end());
  for (int64_t d : shape) {
    if (d < 0) throw Error(where + ": negative dimension in " + shape_to_string(shape));
  }
  const auto nbytes = shape_bytes(shape, Array(type, {}).nbytes());
  if (!nbytes) throw Error(where + ": shape " + shape_to_string(shape) + " is too large to address");
  if (t.data_location == onnx::DataLocation::External) return external_tensor(t, type, shape, *nbytes, context, where);
  if (t.raw_data) {
    const auto expected = static_cast<size_t>(*nbytes);
    if (t.raw_data->size() != expected) {
      throw Error(where + ": raw data has " + std::to_string(t.raw_data->size()) + " bytes but its shape " +
                  shape_to_string(shape) + " needs " + std::to_string(expected));
    }
    return view_or_copy(type, shape, t.raw_data->data(), *nbytes, context.file);  // a view into the mapped .onnx file
  }
  return copy_typed_field(t, type, shape, where);
}

std::shared_ptr<const interpreter::GraphIR> convert_graph(const onnx::Graph& g, ReadContext& context);

interpreter::Attribute convert_attribute(const onnx::Attribute& a, ReadContext& context, const std::string& node) {
  using Kind = interpreter::Attribute::Kind;
  using Type = onnx::AttributeType;
  interpreter::Attribute out;
  switch (a.type) {
    case Type::Float: out.kind = Kind::Float; out.f = a.f; break;
    case Type::Int: out.kind = Kind::Int; out.i = a.i; break;
    case Type::String: out.kind = Kind::String; out.s = a.s; break;
    case Type::Tensor: out.kind = Kind::Tensor; out.tensor = convert_tensor(a.t, context, node + " attribute"); break;
    case Type::Graph:
      if (!a.g) throw Error(context.name() + ": " + node + " attribute '" + a.name + "' is a graph attribute without a graph");
      out.kind = Kind::Graph;
      out.graph = convert_graph(*a.g, context);
      break;
    case Type::Floats: out.kind = Kind::Floats; out.floats = a.floats; break;
    case Type::Ints: out.kind = Kind::Ints; out.ints = a.ints; break;
    case Type::Strings: out.kind = Kind::Strings; out.strings = a.strings; break;
    default:
      throw Error(context.name() + ": " + node + " attribute '" + a.name + "' has a type this reader does not support");
  }
  return out;
}

interpreter::ValueInfo convert_value_info(const onnx::ValueInfo& v) {
  interpreter::ValueInfo info;
  info.name = v.name;
  if (const auto& tensor = v.type.tensor_type) {
    if (interpreter::is_known_elem_type(tensor->elem_type)) info.type = static_cast<DType>(tensor->elem_type);
    for (const auto& dim : tensor->dim) info.dims.push_back(dim.dim_value);
  }
  return info;
}

std::shared_ptr<const interpreter::GraphIR> convert_graph(const onnx::Graph& g, ReadContext& context) {
  auto graph = std::make_shared<interpreter::GraphIR>();
  graph->name = g.name;
  for (const auto& t : g.initializer) graph->initializers[t.name] = convert_tensor(t, context, "initializer");
  // Old files (IR < 4) list initializers among the inputs; those are not inputs to feed.
  for (const auto& input : g.input) {
    if (!graph->initializers.contains(input.name)) graph->inputs.push_back(convert_value_info(input));
  }
  for (const auto& output : g.output) graph->outputs.push_back(convert_value_info(output));
  for (const auto& n : g.node) {
    interpreter::NodeIR node;
    node.name = n.name;
    node.op_type = n.op_type;
    node.domain = n.domain == "ai.onnx" ? "" : n.domain;
    node.inputs = n.input;
    node.outputs = n.output;
    for (const auto& a : n.attribute) node.attributes[a.name] = convert_attribute(a, context, node.describe());
    graph->nodes.push_back(std::move(node));
  }
  return graph;
}

// "model.onnx: not a valid ONNX model" starts every decoding error, which
// goes on with where the protobuf is truncated or corrupt.
std::string invalid(const fs::path& path, const char* what) { return path.string() + ": not a valid " + what; }

}  // namespace

std::shared_ptr<const interpreter::ModelIR> read_onnx_model(const fs::path& path) {
  ReadContext context{MappedFile::open(path), {}};
  const onnx::Model proto = onnx::decode_model(context.file->bytes(), invalid(path, "ONNX model"));
  if (!proto.graph) throw Error(path.string() + ": the ONNX model has no graph (truncated file?)");
  auto model = std::make_shared<interpreter::ModelIR>();
  for (const auto& opset : proto.opset_import) model->opsets[opset.domain == "ai.onnx" ? "" : opset.domain] = opset.version;
  model->graph = *convert_graph(*proto.graph, context);
  return model;
}

Array read_onnx_tensor(const fs::path& path) {
  ReadContext context{MappedFile::open(path), {}};
  return convert_tensor(onnx::decode_tensor(context.file->bytes(), invalid(path, "ONNX tensor")), context, "tensor");
}

}  // namespace attn
