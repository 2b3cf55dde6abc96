// The part of ONNX's protobuf schema the reader uses, as plain structs,
// decoded from the wire format by loaders/onnx/protobuf_wire.h. Field
// numbers are onnx.proto's (ONNX 1.12, Debian's libonnx-dev installs it as
// /usr/include/onnx/onnx.proto); fields not listed here are skipped as
// protobuf skips unknown ones. Decoding follows protobuf's rules where a
// file can differ from the usual: a singular field seen twice keeps the
// last value (messages merge), an enum value the schema does not list
// leaves the field unset, and setting one member of a oneof clears the
// others.
//
// Names and small lists are copied; raw_data stays a view into the bytes
// decoded, so initializers can stay in the memory-mapped file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace attn::onnx {

struct StringStringEntry {  // StringStringEntryProto
  std::string key;          // 1
  std::string value;        // 2
};

struct OperatorSetId {  // OperatorSetIdProto
  std::string domain;   // 1
  int64_t version = 0;  // 2
};

enum class DataLocation : int32_t { Default = 0, External = 1 };  // TensorProto.DataLocation

struct Tensor {                                        // TensorProto
  std::vector<int64_t> dims;                           // 1
  int32_t data_type = 0;                               // 2 (TensorProto.DataType; attn's DType numbers)
  std::vector<float> float_data;                       // 4
  std::vector<int32_t> int32_data;                     // 5
  std::vector<int64_t> int64_data;                     // 7
  std::string name;                                    // 8
  std::optional<std::span<const std::byte>> raw_data;  // 9, a view into the decoded bytes
  std::vector<double> double_data;                     // 10
  std::vector<uint64_t> uint64_data;                   // 11
  std::vector<StringStringEntry> external_data;        // 13
  DataLocation data_location = DataLocation::Default;  // 14
};

struct Dimension {                    // TensorShapeProto.Dimension
  std::optional<int64_t> dim_value;  // 1, oneof with dim_param (2)
};

struct TensorType {            // TypeProto.Tensor
  int32_t elem_type = 0;       // 1
  std::vector<Dimension> dim;  // 2: TensorShapeProto, its field 1
};

struct Type {                             // TypeProto
  std::optional<TensorType> tensor_type;  // 1, oneof with sequence (4), map (5), sparse tensor (8), optional (9)
};

struct ValueInfo {   // ValueInfoProto
  std::string name;  // 1
  Type type;         // 2
};

enum class AttributeType : int32_t {  // AttributeProto.AttributeType
  Undefined = 0, Float = 1, Int = 2, String = 3, Tensor = 4, Graph = 5, Floats = 6, Ints = 7, Strings = 8,
  Tensors = 9, Graphs = 10, SparseTensor = 11, SparseTensors = 12, TypeProto = 13, TypeProtos = 14
};

struct Graph;

struct Attribute {                               // AttributeProto
  std::string name;                              // 1
  float f = 0;                                   // 2
  int64_t i = 0;                                 // 3
  std::string s;                                 // 4
  Tensor t;                                      // 5
  std::shared_ptr<Graph> g;                      // 6, null when absent
  std::vector<float> floats;                     // 7
  std::vector<int64_t> ints;                     // 8
  std::vector<std::string> strings;              // 9
  AttributeType type = AttributeType::Undefined;  // 20
};

struct Node {                          // NodeProto
  std::vector<std::string> input;      // 1
  std::vector<std::string> output;     // 2
  std::string name;                    // 3
  std::string op_type;                 // 4
  std::vector<Attribute> attribute;    // 5
  std::string domain;                  // 7
};

struct Graph {                           // GraphProto
  std::vector<Node> node;                // 1
  std::string name;                      // 2
  std::vector<Tensor> initializer;       // 5
  std::vector<ValueInfo> input;          // 11
  std::vector<ValueInfo> output;         // 12
};

struct Model {                               // ModelProto
  std::optional<Graph> graph;                // 7
  std::vector<OperatorSetId> opset_import;   // 8
};

// Decode one serialized ModelProto / TensorProto. Errors (attn::Error)
// start with `where` ("model.onnx: not a valid ONNX model"). The result's
// raw_data views point into `bytes`.
Model decode_model(std::span<const std::byte> bytes, std::string_view where);
Tensor decode_tensor(std::span<const std::byte> bytes, std::string_view where);

}  // namespace attn::onnx
