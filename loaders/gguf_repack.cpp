#include "loaders/gguf_repack.h"

#include <cstring>
#include <stdexcept>

namespace attn {
namespace {

struct BlockQ5_0 {
  uint16_t d;
  uint8_t qh[4];  // bit j of the little-endian uint32: weight j's fifth bit
  uint8_t qs[16];  // low nibbles: weights 0-15, high nibbles: weights 16-31
};
static_assert(sizeof(BlockQ5_0) == 22, "ggml's block_q5_0 is 22 bytes");

struct BlockIQ4_NL {
  uint16_t d;
  uint8_t qs[16];  // low nibbles: weights 0-15, high nibbles: weights 16-31
};
static_assert(sizeof(BlockIQ4_NL) == 18, "ggml's block_iq4_nl is 18 bytes");

void repack_q5_0(const std::byte* data, BlockQ8_0* out, int64_t blocks) {
  for (int64_t b = 0; b < blocks; ++b) {
    BlockQ5_0 in;
    std::memcpy(&in, data + b * sizeof(BlockQ5_0), sizeof in);
    uint32_t high;
    std::memcpy(&high, in.qh, sizeof high);
    out[b].d = in.d;
    for (int j = 0; j < 16; ++j) {
      out[b].qs[j] = static_cast<int8_t>(((in.qs[j] & 15) | (((high >> j) & 1) << 4)) - 16);
      out[b].qs[j + 16] = static_cast<int8_t>(((in.qs[j] >> 4) | (((high >> (j + 16)) & 1) << 4)) - 16);
    }
  }
}

void repack_iq4_nl(const std::byte* data, BlockQ8_0* out, int64_t blocks) {
  for (int64_t b = 0; b < blocks; ++b) {
    BlockIQ4_NL in;
    std::memcpy(&in, data + b * sizeof(BlockIQ4_NL), sizeof in);
    out[b].d = in.d;
    for (int j = 0; j < 16; ++j) {
      out[b].qs[j] = kIq4NlValues[in.qs[j] & 15];
      out[b].qs[j + 16] = kIq4NlValues[in.qs[j] >> 4];
    }
  }
}

}  // namespace

std::optional<DType> repacked_type(GgmlType type) {
  if (type == GgmlType::Q5_0 || type == GgmlType::IQ4_NL) return DType::Q8_0;
  return std::nullopt;
}

void repack_blocks(GgmlType type, const std::byte* data, BlockQ8_0* out, int64_t blocks) {
  switch (type) {
    case GgmlType::Q5_0: return repack_q5_0(data, out, blocks);
    case GgmlType::IQ4_NL: return repack_iq4_nl(data, out, blocks);
    default: throw std::logic_error("repack_blocks: " + ggml_type_name(type) + " is not repacked");
  }
}

}  // namespace attn
