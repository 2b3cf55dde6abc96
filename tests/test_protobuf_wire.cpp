// The protobuf wire-format reader (loaders/onnx/protobuf_wire.h) and the
// ONNX messages on it (onnx_messages.h), on byte strings built here by hand
// from the encoding spec (protobuf.dev/programming-guides/encoding): every
// wire type, packed and unpacked repeated scalars, unknown fields skipped,
// protobuf's merge rules, and every malformed encoding rejected with the
// file, byte offset, message and field. test_onnx_messages.cpp checks real
// files against python3-onnx.
#include <doctest/doctest.h>

#include <bit>
#include <cstring>

#include "attn/error.h"
#include "loaders/onnx/onnx_messages.h"
#include "loaders/onnx/onnx_reader.h"
#include "loaders/onnx/protobuf_wire.h"
#include "test_support.h"

using namespace attn;
using namespace attn::test;
using attn::protobuf::Field;
using attn::protobuf::MessageReader;
using attn::protobuf::WireType;

namespace {

constexpr const char* kWhere = "test.onnx: not a valid ONNX model";

// Encoders, written from the spec, independent of the reader.
std::string varint(uint64_t value) {
  std::string out;
  do {
    out += static_cast<char>((value & 0x7f) | (value >= 0x80 ? 0x80 : 0));
    value >>= 7;
  } while (value != 0);
  return out;
}
std::string tag(uint32_t number, int wire_type) { return varint(uint64_t{number} << 3 | static_cast<uint64_t>(wire_type)); }
std::string varint_field(uint32_t number, uint64_t value) { return tag(number, 0) + varint(value); }
std::string fixed(uint64_t bits, int size) {
  std::string out;
  for (int i = 0; i < size; ++i) out += static_cast<char>(bits >> (8 * i) & 0xff);
  return out;
}
std::string fixed32_field(uint32_t number, uint32_t bits) { return tag(number, 5) + fixed(bits, 4); }
std::string fixed64_field(uint32_t number, uint64_t bits) { return tag(number, 1) + fixed(bits, 8); }
std::string float_field(uint32_t number, float value) { return fixed32_field(number, std::bit_cast<uint32_t>(value)); }
std::string bytes_field(uint32_t number, const std::string& payload) {
  return tag(number, 2) + varint(payload.size()) + payload;
}
std::string group_field(uint32_t number, const std::string& inside) { return tag(number, 3) + inside + tag(number, 4); }

std::span<const std::byte> as_bytes(const std::string& s) { return std::as_bytes(std::span(s.data(), s.size())); }

onnx::Tensor tensor_of(const std::string& bytes) { return onnx::decode_tensor(as_bytes(bytes), kWhere); }
onnx::Model model_of(const std::string& bytes) { return onnx::decode_model(as_bytes(bytes), kWhere); }

// The message decoding `bytes` as a TensorProto / ModelProto throws.
std::string tensor_error(const std::string& bytes) {
  try {
    tensor_of(bytes);
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("decoded without an error");
  return {};
}
std::string model_error(const std::string& bytes) {
  try {
    model_of(bytes);
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("decoded without an error");
  return {};
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("every wire type reads back what the encoder wrote") {
  const std::string bytes = varint_field(1, 150) + fixed64_field(2, 0x0102030405060708) + bytes_field(3, "hi") +
                            fixed32_field(4, 0xdeadbeef) + varint_field(5, static_cast<uint64_t>(-2));
  MessageReader r(as_bytes(bytes), kWhere, "Test");
  Field f;
  REQUIRE(r.next(f));
  CHECK(f.number == 1);
  CHECK(f.wire_type == WireType::Varint);
  CHECK(r.int64(f) == 150);
  CHECK(f.offset == 0);
  REQUIRE(r.next(f));
  CHECK(f.wire_type == WireType::Fixed64);
  CHECK(f.value == 0x0102030405060708);
  CHECK(f.offset == 3);
  REQUIRE(r.next(f));
  CHECK(r.string(f) == "hi");
  CHECK(r.bytes(f).data() == as_bytes(bytes).data() + 14);  // a view, not a copy
  REQUIRE(r.next(f));
  CHECK(f.wire_type == WireType::Fixed32);
  CHECK(f.value == 0xdeadbeef);
  REQUIRE(r.next(f));
  CHECK(r.int64(f) == -2);  // negative int64: a 10-byte varint
  CHECK(r.int32(f) == -2);  // int32 keeps the low 32 bits, as protobuf
  CHECK_FALSE(r.next(f));
}

TEST_CASE("repeated scalars: packed, unpacked and both in one message") {
  SUBCASE("varints") {
    const std::string packed = varint(3) + varint(270) + varint(static_cast<uint64_t>(-1));
    const auto t = tensor_of(bytes_field(1, packed) + varint_field(1, 7) + bytes_field(1, ""));
    CHECK(t.dims == std::vector<int64_t>{3, 270, -1, 7});
    const auto ints = tensor_of(varint_field(5, static_cast<uint64_t>(-5)) + bytes_field(5, varint(1) + varint(2)));
    CHECK(ints.int32_data == std::vector<int32_t>{-5, 1, 2});
    const auto big = tensor_of(bytes_field(11, varint(UINT64_MAX)) + varint_field(11, 1));
    CHECK(big.uint64_data == std::vector<uint64_t>{UINT64_MAX, 1});
  }
  SUBCASE("fixed 32-bit and 64-bit") {
    const auto t = tensor_of(bytes_field(4, fixed(std::bit_cast<uint32_t>(1.5f), 4) + fixed(std::bit_cast<uint32_t>(-2.f), 4)) +
                             float_field(4, 0.25f) + fixed64_field(10, std::bit_cast<uint64_t>(3.25)) +
                             bytes_field(10, fixed(std::bit_cast<uint64_t>(-1e300), 8)));
    CHECK(t.float_data == std::vector<float>{1.5f, -2.f, 0.25f});
    CHECK(t.double_data == std::vector<double>{3.25, -1e300});
  }
}

TEST_CASE("unknown fields of every wire type are skipped") {
  const std::string unknown = varint_field(100, 5) + fixed64_field(101, 1) + bytes_field(102, "ignored") +
                              fixed32_field(103, 2) + group_field(104, varint_field(1, 1) + group_field(2, bytes_field(3, "x")));
  const auto t = tensor_of(unknown + bytes_field(8, "w") + unknown + varint_field(2, 1) + varint_field(1, 4) + unknown);
  CHECK(t.name == "w");
  CHECK(t.data_type == 1);
  CHECK(t.dims == std::vector<int64_t>{4});
  // A known message with fields of its schema the decoder does not use (doc_string, segment, string_data).
  const auto skipped = tensor_of(bytes_field(12, "doc") + bytes_field(3, varint_field(1, 0)) + bytes_field(6, "s") +
                                 bytes_field(8, "x"));
  CHECK(skipped.name == "x");
}

TEST_CASE("raw_data stays a view into the decoded bytes") {
  const std::string bytes = bytes_field(8, "w") + bytes_field(9, fixed(0x3f800000, 4)) + varint_field(2, 1);
  const auto t = tensor_of(bytes);
  REQUIRE(t.raw_data);
  CHECK(t.raw_data->data() == as_bytes(bytes).data() + 5);
  CHECK(t.raw_data->size() == 4);
  CHECK_FALSE(tensor_of(bytes_field(8, "w")).raw_data);
  CHECK(tensor_of(bytes_field(9, "")).raw_data);  // present but empty is not absent
}

TEST_CASE("protobuf's merge rules: last value wins, messages merge, oneofs and enums") {
  SUBCASE("a repeated singular scalar keeps the last value") {
    CHECK(tensor_of(bytes_field(8, "a") + bytes_field(8, "b")).name == "b");
  }
  SUBCASE("a singular message seen twice merges") {
    const std::string graph1 = bytes_field(2, "g") + bytes_field(1, bytes_field(4, "Relu"));
    const std::string graph2 = bytes_field(1, bytes_field(4, "Add"));
    const auto m = model_of(bytes_field(7, graph1) + bytes_field(7, graph2));
    REQUIRE(m.graph);
    CHECK(m.graph->name == "g");
    REQUIRE(m.graph->node.size() == 2);
    CHECK(m.graph->node[1].op_type == "Add");
  }
  SUBCASE("dim_param after dim_value clears it (oneof)") {
    const std::string dims = bytes_field(1, varint_field(1, 3)) + bytes_field(1, varint_field(1, 3) + bytes_field(2, "batch")) +
                             bytes_field(1, bytes_field(2, "n") + varint_field(1, 8));
    const std::string type = bytes_field(1, varint_field(1, 1) + bytes_field(2, dims));
    const auto m = model_of(bytes_field(7, bytes_field(11, bytes_field(1, "x") + bytes_field(2, type))));
    const auto& tensor_type = m.graph->input.at(0).type.tensor_type;
    REQUIRE(tensor_type);
    REQUIRE(tensor_type->dim.size() == 3);
    CHECK(tensor_type->dim[0].dim_value == 3);
    CHECK_FALSE(tensor_type->dim[1].dim_value);
    CHECK(tensor_type->dim[2].dim_value == 8);
    // A sequence type after the tensor type: not a tensor any more.
    const auto sequence = model_of(bytes_field(7, bytes_field(11, bytes_field(2, type + bytes_field(4, "")))));
    CHECK_FALSE(sequence.graph->input.at(0).type.tensor_type);
  }
  SUBCASE("an enum value the schema does not list leaves the field as it was") {
    CHECK(tensor_of(varint_field(14, 1) + varint_field(14, 7)).data_location == onnx::DataLocation::External);
    const auto m = model_of(bytes_field(7, bytes_field(1, bytes_field(5, varint_field(20, 2) + varint_field(20, 99)))));
    CHECK(m.graph->node.at(0).attribute.at(0).type == onnx::AttributeType::Int);
  }
}

TEST_CASE("malformed encodings fail with the file, the byte offset, the message and the field") {
  const std::string prefix = std::string(kWhere) + ": truncated or corrupt protobuf at byte ";
  SUBCASE("truncated fields") {
    const std::string name = bytes_field(8, "w");  // 3 bytes
    CHECK(tensor_error(name + tag(2, 0)) == prefix + "4 (TensorProto field 2): the varint is cut off by the end of its message");
    CHECK(tensor_error(name + "\x80") == prefix + "3 (TensorProto): the varint is cut off by the end of its message");
    CHECK(tensor_error(name + tag(8, 2) + varint(10) + "abc") ==
          prefix + "3 (TensorProto field 8): length 10 runs past the end of its message (3 bytes left)");
    CHECK(tensor_error(name + tag(103, 5) + "ab") ==
          prefix + "3 (TensorProto field 103): the 32-bit value is cut off by the end of its message");
    CHECK(tensor_error(tag(101, 1) + "1234567") ==
          prefix + "0 (TensorProto field 101): the 64-bit value is cut off by the end of its message");
    // A nested message's length must fit its parent, and its fields must fit it.
    const std::string node = bytes_field(4, "Relu");
    CHECK(model_error(bytes_field(7, tag(1, 2) + varint(node.size() + 5) + node)) ==
          prefix + "2 (GraphProto field 1): length 11 runs past the end of its message (6 bytes left)");
    CHECK(model_error(bytes_field(7, bytes_field(1, tag(4, 2) + varint(9) + "Relu"))) ==
          prefix + "4 (NodeProto field 4): length 9 runs past the end of its message (4 bytes left)");
  }
  SUBCASE("overlong varints") {
    CHECK(tensor_error(tag(2, 0) + std::string(10, '\xff') + "\x01") ==
          prefix + "1 (TensorProto field 2): varint longer than 10 bytes");
    CHECK(tensor_error(tag(2, 0) + std::string(9, '\xff') + "\x02") ==
          prefix + "1 (TensorProto field 2): varint larger than 64 bits");
    CHECK(tensor_of(tag(2, 0) + std::string(9, '\xff') + "\x01").data_type == -1);  // exactly 64 bits is fine
    CHECK(tensor_error(bytes_field(1, std::string(11, '\x80'))) == prefix + "2 (TensorProto field 1): varint longer than 10 bytes");
  }
  SUBCASE("bad wire types and field numbers") {
    CHECK(tensor_error(bytes_field(8, "w") + tag(9, 6)) == prefix + "3 (TensorProto field 9): invalid wire type 6");
    CHECK(tensor_error(tag(9, 7)) == prefix + "0 (TensorProto field 9): invalid wire type 7");
    CHECK(tensor_error(varint(0) + varint(1)) == prefix + "0 (TensorProto): field number 0");
    CHECK(tensor_error(varint(uint64_t{1} << 32)) == prefix + "0 (TensorProto): field number 536870912 is above 2^29 - 1");
    CHECK(tensor_error(varint_field(8, 1)) ==
          prefix + "0 (TensorProto field 8): a varint value where the schema has a length-delimited field");
    CHECK(tensor_error(bytes_field(2, "x")) ==
          prefix + "0 (TensorProto field 2): a length-delimited value where the schema has a varint field");
    CHECK(tensor_error(fixed32_field(1, 0)) ==
          prefix + "0 (TensorProto field 1): a 32-bit value where the schema has a varint field");
    CHECK(tensor_error(varint_field(4, 0)) ==
          prefix + "0 (TensorProto field 4): a varint value where the schema has a 32-bit field");
    CHECK(tensor_error(bytes_field(4, "12345")) ==
          prefix + "0 (TensorProto field 4): packed 32-bit values of 5 bytes, not a multiple of 4");
    CHECK(tensor_error(bytes_field(10, "1234")) ==
          prefix + "0 (TensorProto field 10): packed 64-bit values of 4 bytes, not a multiple of 8");
    CHECK(model_error(bytes_field(7, bytes_field(11, bytes_field(2, varint_field(4, 1))))) ==
          prefix + "6 (TypeProto field 4): a varint value where the schema has a length-delimited field");
  }
  SUBCASE("broken groups") {
    CHECK(tensor_error(tag(5, 4)) == prefix + "0 (TensorProto field 5): end-group marker outside a group");
    CHECK(tensor_error(tag(5, 3) + varint_field(1, 1)) == prefix + "0 (TensorProto field 5): group never ends");
    CHECK(tensor_error(tag(5, 3) + tag(6, 4)) == prefix + "1 (TensorProto field 6): end-group marker for group 5");
  }
  SUBCASE("nesting deeper than protobuf's limit") {
    // GraphProto -> NodeProto -> AttributeProto -> GraphProto ...: 3 levels per subgraph.
    auto nested_graph = [](int subgraphs) {
      std::string graph = bytes_field(2, "innermost");
      for (int i = 0; i < subgraphs; ++i) {
        graph = bytes_field(1, bytes_field(5, varint_field(20, 5) + bytes_field(6, graph)));
      }
      return bytes_field(7, graph);
    };
    const auto deep = model_of(nested_graph(33));  // depth 1 + 3 * 33 = 100
    const onnx::Graph* g = &*deep.graph;
    for (int i = 0; i < 33; ++i) g = g->node.at(0).attribute.at(0).g.get();
    CHECK(g->name == "innermost");
    const std::string error = model_error(nested_graph(34));
    CHECK(contains(error, prefix));
    CHECK(contains(error, "(GraphProto field 1): messages nested deeper than 100"));  // the 101st level, a NodeProto
    std::string groups = varint_field(1, 1);
    for (int i = 0; i < 100; ++i) groups = group_field(50, groups);
    CHECK(tensor_of(groups).name.empty());  // unknown groups nested 100 deep are skipped
    CHECK(contains(tensor_error(group_field(50, groups)), "(TensorProto field 50): groups nested deeper than 100"));
  }
}

TEST_CASE("read_onnx_model: initializers at any alignment, views of the mapped file or copies") {
  TempDir dir;
  // Two float initializers; the second's raw_data starts one byte later than the first's would.
  auto initializer = [](const std::string& name, const std::vector<float>& values) {
    std::string raw;
    for (float v : values) raw += fixed(std::bit_cast<uint32_t>(v), 4);
    return bytes_field(5, varint_field(1, values.size()) + varint_field(2, 1) + bytes_field(8, name) + bytes_field(9, raw));
  };
  const std::string output = bytes_field(12, bytes_field(1, "a"));
  for (const std::string pad : {"", "x", "xy", "xyz"}) {
    const std::string graph = bytes_field(2, pad) + initializer("a", {1.f, -2.f, 3.5f}) + initializer("bb", {0.5f}) + output;
    const std::string model = bytes_field(8, varint_field(2, 17)) + bytes_field(7, graph);
    write_file(dir / "m.onnx", model);
    const auto ir = read_onnx_model(dir / "m.onnx");
    CHECK(ir->opsets.at("") == 17);
    const auto& a = ir->graph.initializers.at("a");
    CHECK(reinterpret_cast<uintptr_t>(a.data()) % 4 == 0);
    CHECK(std::vector<float>(a.as<float>(), a.as<float>() + 3) == std::vector<float>{1.f, -2.f, 3.5f});
    CHECK(ir->graph.initializers.at("bb").as<float>()[0] == 0.5f);
  }
  write_file(dir / "m.onnx", bytes_field(7, tag(5, 2) + varint(100)));
  try {
    read_onnx_model(dir / "m.onnx");
    FAIL("a truncated file loaded");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == (dir / "m.onnx").string() +
                                       ": not a valid ONNX model: truncated or corrupt protobuf at byte 2 (GraphProto "
                                       "field 5): length 100 runs past the end of its message (0 bytes left)");
  }
}
