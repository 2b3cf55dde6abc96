// WeightType: the public names of weight types and their engine dtypes.
#include "models/weight_type.h"

namespace attn {

DType to_dtype(WeightType type) {
  switch (type) {
    case WeightType::F32: return DType::F32;
    case WeightType::F16: return DType::F16;
    case WeightType::BF16: return DType::BF16;
    case WeightType::Int8: return DType::I8;
  }
  return DType::F32;
}

std::string_view weight_type_name(WeightType type) {
  switch (type) {
    case WeightType::F32: return "f32";
    case WeightType::F16: return "f16";
    case WeightType::BF16: return "bf16";
    case WeightType::Int8: return "int8";
  }
  return "?";
}

std::optional<WeightType> parse_weight_type(std::string_view name) {
  for (WeightType type : {WeightType::F32, WeightType::F16, WeightType::BF16, WeightType::Int8}) {
    if (weight_type_name(type) == name) return type;
  }
  return std::nullopt;
}

}  // namespace attn
