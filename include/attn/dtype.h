// Element types: of stored weights (f32, f16, bf16, int8 with row scales),
// and of the values an imported ONNX graph computes with. Numbered as ONNX's
// TensorProto.DataType, so the ONNX reader converts by value.
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
};

size_t dtype_size(DType dtype);
std::string_view dtype_name(DType dtype);  // "F32", "BF16", ... as safetensors spells them

// The types Linear weights can be converted to (LoadOptions::dtype, attn
// quantize): "f32", "f16", "bf16", "int8".
std::string_view weight_type_name(DType type);
std::optional<DType> parse_weight_type(std::string_view name);  // nullopt for anything else

}  // namespace attn
