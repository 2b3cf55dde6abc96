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
  // ggml's block_q4_1: 32 weights as an f16 scale d, an f16 min m and 16
  // bytes of 4-bit q (as Q4_0's), weight = q * d + m. Read from GGUF files.
  Q4_1 = 1003,
  // ggml's block_q5_1: 32 weights as an f16 scale d, an f16 min m, a uint32
  // of fifth (high) bits qh and Q4_1's 16 bytes of low nibbles; weight = q *
  // d + m with 5-bit q. Read from GGUF files.
  Q5_1 = 1007,
  // ggml's block_q8_0: 32 weights as an f16 scale d and 32 int8 values q, weight = q * d.
  Q8_0 = 1008,
  // ggml's block_q4_K: super-blocks of 256 weights in 8 sub-blocks of 32,
  // each with a 6-bit scale and min; weight = d * scale * q - dmin * min
  // with 4-bit q (engine/quant_blocks.h).
  Q4_K = 1012,
  // ggml's block_q5_K: Q4_K's layout plus a fifth bit per weight (qh);
  // weight = d * scale * q - dmin * min with 5-bit q. Read from GGUF files.
  Q5_K = 1013,
  // ggml's block_q6_K: super-blocks of 256 weights in 16 sub-blocks of 16,
  // each with an int8 scale; weight = d * scale * (q - 32) with 6-bit q.
  Q6_K = 1014,
  // ggml's block_q8_K: 256 weights as an f32 scale d and 256 int8 q (plus
  // the sums of each 16, which only activations need); weight = q * d. Read
  // from GGUF files.
  Q8_K = 1015,
  // ggml's block_iq4_xs: super-blocks of 256 weights in 8 sub-blocks of 32,
  // an f16 d, a 6-bit scale per sub-block and 4-bit indices into ggml's
  // non-linear table (IQ4_NL's); weight = d * (scale - 32) * table[index].
  // Read from GGUF files.
  IQ4_XS = 1023,
};

// Bytes per element; 0 for block types (see dtype_row_bytes).
size_t dtype_size(DType dtype);
// Elements per block: 32 for Q4_0, Q4_1, Q5_1 and Q8_0, 256 for the K types and IQ4_XS, 1 for the others.
int64_t dtype_block_elements(DType dtype);
// Bytes per block: 18 (Q4_0), 20 (Q4_1), 24 (Q5_1), 34 (Q8_0), 144 (Q4_K), 176 (Q5_K), 210 (Q6_K),
// 292 (Q8_K), 136 (IQ4_XS), dtype_size for the others.
size_t dtype_block_bytes(DType dtype);
// Bytes holding `elements` consecutive values (a whole number of blocks).
size_t dtype_row_bytes(DType dtype, int64_t elements);
std::string_view dtype_name(DType dtype);  // "F32", "BF16", ... as safetensors spells them

// The types Linear weights can be converted to (LoadOptions::dtype, attn
// quantize): "f32", "f16", "bf16", "int8", "q4_0", "q8_0", "q4_k", "q6_k".
std::string_view weight_type_name(DType type);
std::optional<DType> parse_weight_type(std::string_view name);  // nullopt for anything else

}  // namespace attn
