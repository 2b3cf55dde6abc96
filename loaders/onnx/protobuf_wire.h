// A strict reader of the protobuf wire format
// (https://protobuf.dev/programming-guides/encoding/), enough to decode
// messages by hand without generated classes or the protobuf runtime.
//
// It reads fields one at a time from a byte span it does not copy: bytes
// payloads are views into the input, so the caller decides what to keep.
// As protobuf does, it skips fields the caller does not know (every wire
// type, groups included) and accepts repeated scalars packed or one per
// field. Unlike protobuf it also rejects a known field sent with another
// wire type. Every varint, length and fixed-size value is bounds-checked;
// varints longer than 10 bytes or above 64 bits, truncated fields, wire
// types 6 and 7, field number 0 and nesting deeper than protobuf's default
// limit (100) throw attn::Error with the byte offset, the message type
// and the field number.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace attn::protobuf {

enum class WireType : uint8_t { Varint = 0, Fixed64 = 1, Bytes = 2, StartGroup = 3, EndGroup = 4, Fixed32 = 5 };

// One field as it appears on the wire.
struct Field {
  uint32_t number = 0;
  WireType wire_type = WireType::Varint;
  uint64_t value = 0;                // the Varint, Fixed64 or Fixed32 payload, as raw bits
  std::span<const std::byte> bytes;  // the Bytes payload: a view into the input
  size_t offset = 0;                 // where the field's tag starts in the whole input
};

class MessageReader {
 public:
  static constexpr int kMaxDepth = 100;  // protobuf's default recursion limit

  // Reads `bytes`, one whole serialized message of type `message` (named
  // in errors). Every error starts with `where` ("model.onnx: not a valid
  // ONNX model"), which must outlive the reader.
  MessageReader(std::span<const std::byte> bytes, std::string_view where, std::string_view message);

  // The next field into `field`; false at the end of the message. Fields
  // the caller ignores need nothing more: their payload is already skipped.
  bool next(Field& field);

  // A field's value as the type the schema declares.
  int64_t int64(const Field& field) const;
  int32_t int32(const Field& field) const;  // int32 and enum fields: the varint's low 32 bits, as protobuf
  float float32(const Field& field) const;
  std::string string(const Field& field) const;  // string and bytes fields (copied)
  std::span<const std::byte> bytes(const Field& field) const;  // a view into the input
  // A nested message field, read one level deeper.
  MessageReader message(const Field& field, std::string_view message) const;
  // A field of the message type's that is not decoded: still checked to be length-delimited.
  void expect_bytes(const Field& field) const { bytes(field); }

  // Appends a repeated scalar field's values, packed (one Bytes field) or
  // not (one field per value). T: int64_t, int32_t, uint64_t (varints),
  // float (fixed 32-bit) or double (fixed 64-bit).
  template <typename T>
  void append(const Field& field, std::vector<T>& values) const;

  // Throws attn::Error for a problem found at `offset` (bytes into the input) in field `number`.
  [[noreturn]] void fail(size_t offset, uint32_t number, const std::string& problem) const;

 private:
  MessageReader(const std::byte* base, std::span<const std::byte> bytes, std::string_view where,
                std::string_view message, int depth);
  // Any field, end-group markers included (next() refuses those outside a group).
  bool next_field(Field& field);
  void skip_group(const Field& start);
  uint64_t varint(const std::byte*& p, const std::byte* end, uint32_t number) const;
  void expect(const Field& field, WireType type) const;
  size_t offset_of(const std::byte* p) const { return static_cast<size_t>(p - base_); }

  const std::byte* base_;  // the start of the whole input: offsets in errors count from here
  const std::byte* pos_;
  const std::byte* end_;
  std::string_view where_;
  std::string_view message_;
  int depth_;
};

}  // namespace attn::protobuf
