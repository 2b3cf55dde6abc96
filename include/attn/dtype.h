// Element types: of stored weights (f32, f16, bf16, int8 with row scales,
// 4-bit blocks), and of the values an imported ONNX graph computes with.
// Numbered as ONNX's TensorProto.DataType, so the ONNX reader converts by
// value; block types, which ONNX lacks, are 1000 + their ggml_type number.
#pragma once

#include "attn/export.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace attn ATTN_API {

enum class DType : int32_t {
  F32 = 1, U8 = 2, I8 = 3, U16 = 4, I16 = 5, I32 = 6, I64 = 7,
  Bool = 9, F16 = 10, F64 = 11, U32 = 12, U64 = 13, BF16 = 16,
  // ggml's block_q4_0, byte for byte: 32 weights per block stored as an f16
  // scale d and 16 bytes of 4-bit values q (low nibbles hold weights 0-15,
  // high nibbles 16-31), weight = (q - 8) * d. A tensor's last dimension is
  // a multiple of 32.
  Q4_0 = 1002,
};

// Bytes per element; 0 for block types (see dtype_row_bytes).
size_t dtype_size(DType dtype);
// Elements per block: 32 for Q4_0, 1 for the others.
int64_t dtype_block_elements(DType dtype);
// Bytes per block: 18 for Q4_0, dtype_size for the others.
size_t dtype_block_bytes(DType dtype);
// Bytes holding `elements` consecutive values (a whole number of blocks).
size_t dtype_row_bytes(DType dtype, int64_t elements);
std::string_view dtype_name(DType dtype);  // "F32", "BF16", ... as safetensors spells them

// The types Linear weights can be converted to (LoadOptions::dtype, attn
// quantize): "f32", "f16", "bf16", "int8", "q4_0".
std::string_view weight_type_name(DType type);
std::optional<DType> parse_weight_type(std::string_view name);  // nullopt for anything else

}  // namespace attn
