#include "loaders/onnx/onnx_messages.h"

#include "loaders/onnx/protobuf_wire.h"

namespace attn::onnx {
namespace {

using protobuf::Field;
using protobuf::MessageReader;

// Each decode reads into `out` without clearing it: a message field that
// appears twice merges, as protobuf's parser does.

void decode(MessageReader r, StringStringEntry& out) {
  Field f;
  while (r.next(f)) {
    if (f.number == 1) out.key = r.string(f);
    if (f.number == 2) out.value = r.string(f);
  }
}

void decode(MessageReader r, OperatorSetId& out) {
  Field f;
  while (r.next(f)) {
    if (f.number == 1) out.domain = r.string(f);
    if (f.number == 2) out.version = r.int64(f);
  }
}

void decode(MessageReader r, Tensor& out) {
  Field f;
  while (r.next(f)) {
    switch (f.number) {
      case 1: r.append(f, out.dims); break;
      case 2: out.data_type = r.int32(f); break;
      case 4: r.append(f, out.float_data); break;
      case 5: r.append(f, out.int32_data); break;
      case 7: r.append(f, out.int64_data); break;
      case 8: out.name = r.string(f); break;
      case 9: out.raw_data = r.bytes(f); break;
      case 10: r.append(f, out.double_data); break;
      case 11: r.append(f, out.uint64_data); break;
      case 13: decode(r.message(f, "StringStringEntryProto"), out.external_data.emplace_back()); break;
      case 14: {
        const int32_t location = r.int32(f);
        if (location == 0 || location == 1) out.data_location = static_cast<DataLocation>(location);
        break;
      }
    }
  }
}

void decode(MessageReader r, Dimension& out) {
  Field f;
  while (r.next(f)) {
    if (f.number == 1) out.dim_value = r.int64(f);
    if (f.number == 2) {  // dim_param: a symbolic size instead
      r.expect_bytes(f);
      out.dim_value.reset();
    }
  }
}

void decode(MessageReader r, TensorType& out) {
  Field f;
  while (r.next(f)) {
    if (f.number == 1) out.elem_type = r.int32(f);
    if (f.number != 2) continue;
    MessageReader shape = r.message(f, "TensorShapeProto");
    Field d;
    while (shape.next(d)) {
      if (d.number == 1) decode(shape.message(d, "TensorShapeProto.Dimension"), out.dim.emplace_back());
    }
  }
}

void decode(MessageReader r, Type& out) {
  Field f;
  while (r.next(f)) {
    switch (f.number) {
      case 1:
        if (!out.tensor_type) out.tensor_type.emplace();
        decode(r.message(f, "TypeProto.Tensor"), *out.tensor_type);
        break;
      case 4: case 5: case 8: case 9:  // the other members of the oneof: not a tensor
        r.expect_bytes(f);
        out.tensor_type.reset();
        break;
    }
  }
}

void decode(MessageReader r, ValueInfo& out) {
  Field f;
  while (r.next(f)) {
    if (f.number == 1) out.name = r.string(f);
    if (f.number == 2) decode(r.message(f, "TypeProto"), out.type);
  }
}

void decode(MessageReader r, Graph& out);

void decode(MessageReader r, Attribute& out) {
  Field f;
  while (r.next(f)) {
    switch (f.number) {
      case 1: out.name = r.string(f); break;
      case 2: out.f = r.float32(f); break;
      case 3: out.i = r.int64(f); break;
      case 4: out.s = r.string(f); break;
      case 5: decode(r.message(f, "TensorProto"), out.t); break;
      case 6:
        if (!out.g) out.g = std::make_shared<Graph>();
        decode(r.message(f, "GraphProto"), *out.g);
        break;
      case 7: r.append(f, out.floats); break;
      case 8: r.append(f, out.ints); break;
      case 9: out.strings.push_back(r.string(f)); break;
      case 20: {
        const int32_t type = r.int32(f);
        if (type >= 0 && type <= static_cast<int32_t>(AttributeType::TypeProtos)) out.type = static_cast<AttributeType>(type);
        break;
      }
    }
  }
}

void decode(MessageReader r, Node& out) {
  Field f;
  while (r.next(f)) {
    switch (f.number) {
      case 1: out.input.push_back(r.string(f)); break;
      case 2: out.output.push_back(r.string(f)); break;
      case 3: out.name = r.string(f); break;
      case 4: out.op_type = r.string(f); break;
      case 5: decode(r.message(f, "AttributeProto"), out.attribute.emplace_back()); break;
      case 7: out.domain = r.string(f); break;
    }
  }
}

void decode(MessageReader r, Graph& out) {
  Field f;
  while (r.next(f)) {
    switch (f.number) {
      case 1: decode(r.message(f, "NodeProto"), out.node.emplace_back()); break;
      case 2: out.name = r.string(f); break;
      case 5: decode(r.message(f, "TensorProto"), out.initializer.emplace_back()); break;
      case 11: decode(r.message(f, "ValueInfoProto"), out.input.emplace_back()); break;
      case 12: decode(r.message(f, "ValueInfoProto"), out.output.emplace_back()); break;
    }
  }
}

void decode(MessageReader r, Model& out) {
  Field f;
  while (r.next(f)) {
    if (f.number == 7) {
      if (!out.graph) out.graph.emplace();
      decode(r.message(f, "GraphProto"), *out.graph);
    }
    if (f.number == 8) decode(r.message(f, "OperatorSetIdProto"), out.opset_import.emplace_back());
  }
}

}  // namespace

Model decode_model(std::span<const std::byte> bytes, std::string_view where) {
  Model model;
  decode(MessageReader(bytes, where, "ModelProto"), model);
  return model;
}

Tensor decode_tensor(std::span<const std::byte> bytes, std::string_view where) {
  Tensor tensor;
  decode(MessageReader(bytes, where, "TensorProto"), tensor);
  return tensor;
}

}  // namespace attn::onnx
