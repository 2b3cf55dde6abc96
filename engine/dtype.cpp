#include "attn/dtype.h"

namespace attn {

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::Bool:
    case DType::U8:
    case DType::I8: return 1;
    case DType::F16:
    case DType::BF16:
    case DType::U16:
    case DType::I16: return 2;
    case DType::F32:
    case DType::I32:
    case DType::U32: return 4;
    case DType::F64:
    case DType::I64:
    case DType::U64: return 8;
    case DType::Q4_0:
    case DType::Q4_1:
    case DType::Q5_1:
    case DType::Q8_0:
    case DType::Q4_K:
    case DType::Q5_K:
    case DType::Q6_K:
    case DType::Q8_K:
    case DType::IQ4_XS: return 0;
  }
  return 0;
}

int64_t dtype_block_elements(DType dtype) {
  switch (dtype) {
    case DType::Q4_0:
    case DType::Q4_1:
    case DType::Q5_1:
    case DType::Q8_0: return 32;
    case DType::Q4_K:
    case DType::Q5_K:
    case DType::Q6_K:
    case DType::Q8_K:
    case DType::IQ4_XS: return 256;
    default: return 1;
  }
}

size_t dtype_block_bytes(DType dtype) {
  switch (dtype) {
    case DType::Q4_0: return 18;
    case DType::Q4_1: return 20;
    case DType::Q5_1: return 24;
    case DType::Q8_0: return 34;
    case DType::Q4_K: return 144;
    case DType::Q5_K: return 176;
    case DType::Q6_K: return 210;
    case DType::Q8_K: return 292;
    case DType::IQ4_XS: return 136;
    default: return dtype_size(dtype);
  }
}

size_t dtype_row_bytes(DType dtype, int64_t elements) {
  return static_cast<size_t>(elements / dtype_block_elements(dtype)) * dtype_block_bytes(dtype);
}

std::string_view dtype_name(DType dtype) {
  switch (dtype) {
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
    case DType::F64: return "F64";
    case DType::I8: return "I8";
    case DType::I16: return "I16";
    case DType::I32: return "I32";
    case DType::I64: return "I64";
    case DType::U8: return "U8";
    case DType::U16: return "U16";
    case DType::U32: return "U32";
    case DType::U64: return "U64";
    case DType::Bool: return "BOOL";
    case DType::Q4_0: return "Q4_0";
    case DType::Q4_1: return "Q4_1";
    case DType::Q5_1: return "Q5_1";
    case DType::Q8_0: return "Q8_0";
    case DType::Q4_K: return "Q4_K";
    case DType::Q5_K: return "Q5_K";
    case DType::Q6_K: return "Q6_K";
    case DType::Q8_K: return "Q8_K";
    case DType::IQ4_XS: return "IQ4_XS";
  }
  return "?";
}

namespace {

constexpr std::pair<DType, std::string_view> kWeightTypes[] = {
    {DType::F32, "f32"}, {DType::F16, "f16"}, {DType::BF16, "bf16"}, {DType::I8, "int8"}, {DType::Q4_0, "q4_0"},
    {DType::Q8_0, "q8_0"}, {DType::Q4_K, "q4_k"}, {DType::Q6_K, "q6_k"}};

}  // namespace

std::string_view weight_type_name(DType type) {
  for (const auto& [dtype, name] : kWeightTypes) {
    if (dtype == type) return name;
  }
  return dtype_name(type);
}

std::optional<DType> parse_weight_type(std::string_view text) {
  for (const auto& [dtype, name] : kWeightTypes) {
    if (name == text) return dtype;
  }
  return std::nullopt;
}

}  // namespace attn
