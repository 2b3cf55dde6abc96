#include "loaders/onnx/protobuf_wire.h"

#include <bit>
#include <type_traits>

#include "attn/error.h"

namespace attn::protobuf {
namespace {

const char* wire_type_name(WireType type) {
  switch (type) {
    case WireType::Varint: return "varint";
    case WireType::Fixed64: return "64-bit";
    case WireType::Bytes: return "length-delimited";
    case WireType::StartGroup: return "start-group";
    case WireType::EndGroup: return "end-group";
    case WireType::Fixed32: return "32-bit";
  }
  return "?";
}

// Little-endian fixed-width value at p (the caller checked the bounds).
uint64_t read_fixed(const std::byte* p, int size) {
  uint64_t value = 0;
  for (int i = size - 1; i >= 0; --i) value = value << 8 | std::to_integer<uint64_t>(p[i]);
  return value;
}

}  // namespace

MessageReader::MessageReader(std::span<const std::byte> bytes, std::string_view where, std::string_view message)
    : MessageReader(bytes.data(), bytes, where, message, 0) {}

MessageReader::MessageReader(const std::byte* base, std::span<const std::byte> bytes, std::string_view where,
                             std::string_view message, int depth)
    : base_(base), pos_(bytes.data()), end_(bytes.data() + bytes.size()), where_(where), message_(message),
      depth_(depth) {}

void MessageReader::fail(size_t offset, uint32_t number, const std::string& problem) const {
  std::string text = std::string(where_) + ": truncated or corrupt protobuf at byte " + std::to_string(offset) + " (" +
                     std::string(message_);
  if (number != 0) text += " field " + std::to_string(number);
  throw Error(text + "): " + problem);
}

uint64_t MessageReader::varint(const std::byte*& p, const std::byte* end, uint32_t number) const {
  const std::byte* start = p;
  uint64_t value = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (p == end) fail(offset_of(start), number, "the varint is cut off by the end of its message");
    const auto byte = std::to_integer<uint64_t>(*p++);
    if (shift == 63 && byte > 1) {
      fail(offset_of(start), number, byte & 0x80 ? "varint longer than 10 bytes" : "varint larger than 64 bits");
    }
    value |= (byte & 0x7f) << shift;
    if (!(byte & 0x80)) return value;
  }
  return value;  // unreachable: the tenth byte either ends the varint or fails above
}

bool MessageReader::next(Field& field) {
  if (!next_field(field)) return false;
  if (field.wire_type == WireType::EndGroup) fail(field.offset, field.number, "end-group marker outside a group");
  return true;
}

bool MessageReader::next_field(Field& field) {
  if (pos_ == end_) return false;
  field = Field{};
  field.offset = offset_of(pos_);
  const uint64_t tag = varint(pos_, end_, 0);
  if (tag >> 3 > (uint64_t{1} << 29) - 1) fail(field.offset, 0, "field number " + std::to_string(tag >> 3) + " is above 2^29 - 1");
  field.number = static_cast<uint32_t>(tag >> 3);
  if (field.number == 0) fail(field.offset, 0, "field number 0");
  const auto type = static_cast<uint8_t>(tag & 7);
  if (type > 5) fail(field.offset, field.number, "invalid wire type " + std::to_string(type));
  field.wire_type = static_cast<WireType>(type);
  const auto remaining = static_cast<size_t>(end_ - pos_);
  switch (field.wire_type) {
    case WireType::Varint: field.value = varint(pos_, end_, field.number); break;
    case WireType::Fixed64:
    case WireType::Fixed32: {
      const int size = field.wire_type == WireType::Fixed64 ? 8 : 4;
      if (remaining < static_cast<size_t>(size)) {
        fail(field.offset, field.number, "the " + std::string(wire_type_name(field.wire_type)) +
                                             " value is cut off by the end of its message");
      }
      field.value = read_fixed(pos_, size);
      pos_ += size;
      break;
    }
    case WireType::Bytes: {
      const uint64_t length = varint(pos_, end_, field.number);
      if (length > static_cast<uint64_t>(end_ - pos_)) {
        fail(field.offset, field.number, "length " + std::to_string(length) + " runs past the end of its message (" +
                                             std::to_string(end_ - pos_) + " bytes left)");
      }
      field.bytes = {pos_, static_cast<size_t>(length)};
      pos_ += length;
      break;
    }
    case WireType::StartGroup: skip_group(field); break;
    case WireType::EndGroup: break;
  }
  return true;
}

// A group (deprecated, never in ONNX files) runs to the end-group marker
// with its field number; its fields, nested groups included, are skipped.
void MessageReader::skip_group(const Field& start) {
  if (depth_ + 1 > kMaxDepth) fail(start.offset, start.number, "groups nested deeper than " + std::to_string(kMaxDepth));
  MessageReader inside(base_, {pos_, end_}, where_, message_, depth_ + 1);
  Field field;
  while (inside.next_field(field)) {
    if (field.wire_type != WireType::EndGroup) continue;
    if (field.number != start.number) {
      fail(field.offset, field.number, "end-group marker for group " + std::to_string(start.number));
    }
    pos_ = inside.pos_;
    return;
  }
  fail(start.offset, start.number, "group never ends");
}

void MessageReader::expect(const Field& field, WireType type) const {
  if (field.wire_type != type) {
    fail(field.offset, field.number, std::string("a ") + wire_type_name(field.wire_type) +
                                         " value where the schema has a " + wire_type_name(type) + " field");
  }
}

int64_t MessageReader::int64(const Field& field) const {
  expect(field, WireType::Varint);
  return static_cast<int64_t>(field.value);
}

int32_t MessageReader::int32(const Field& field) const {
  expect(field, WireType::Varint);
  return static_cast<int32_t>(static_cast<uint32_t>(field.value));
}

float MessageReader::float32(const Field& field) const {
  expect(field, WireType::Fixed32);
  return std::bit_cast<float>(static_cast<uint32_t>(field.value));
}

std::span<const std::byte> MessageReader::bytes(const Field& field) const {
  expect(field, WireType::Bytes);
  return field.bytes;
}

std::string MessageReader::string(const Field& field) const {
  const auto view = bytes(field);
  return {reinterpret_cast<const char*>(view.data()), view.size()};
}

MessageReader MessageReader::message(const Field& field, std::string_view message) const {
  const auto view = bytes(field);
  if (depth_ + 1 > kMaxDepth) fail(field.offset, field.number, "messages nested deeper than " + std::to_string(kMaxDepth));
  return MessageReader(base_, view, where_, message, depth_ + 1);
}

template <typename T>
void MessageReader::append(const Field& field, std::vector<T>& values) const {
  constexpr bool is_varint = std::is_integral_v<T>;
  constexpr WireType scalar_type = is_varint ? WireType::Varint : sizeof(T) == 8 ? WireType::Fixed64 : WireType::Fixed32;
  auto convert = [](uint64_t bits) -> T {
    if constexpr (std::is_same_v<T, float>) return std::bit_cast<float>(static_cast<uint32_t>(bits));
    else if constexpr (std::is_same_v<T, double>) return std::bit_cast<double>(bits);
    else if constexpr (std::is_same_v<T, int32_t>) return static_cast<int32_t>(static_cast<uint32_t>(bits));
    else return static_cast<T>(bits);
  };
  if (field.wire_type != WireType::Bytes) {  // one value per field
    expect(field, scalar_type);
    values.push_back(convert(field.value));
    return;
  }
  const std::byte* p = field.bytes.data();
  const std::byte* end = p + field.bytes.size();
  if constexpr (is_varint) {
    while (p != end) values.push_back(convert(varint(p, end, field.number)));
  } else {
    if (field.bytes.size() % sizeof(T) != 0) {
      fail(field.offset, field.number, "packed " + std::string(wire_type_name(scalar_type)) + " values of " +
                                           std::to_string(field.bytes.size()) + " bytes, not a multiple of " +
                                           std::to_string(sizeof(T)));
    }
    values.reserve(values.size() + field.bytes.size() / sizeof(T));
    for (; p != end; p += sizeof(T)) values.push_back(convert(read_fixed(p, sizeof(T))));
  }
}

template void MessageReader::append(const Field&, std::vector<int64_t>&) const;
template void MessageReader::append(const Field&, std::vector<int32_t>&) const;
template void MessageReader::append(const Field&, std::vector<uint64_t>&) const;
template void MessageReader::append(const Field&, std::vector<float>&) const;
template void MessageReader::append(const Field&, std::vector<double>&) const;

}  // namespace attn::protobuf
