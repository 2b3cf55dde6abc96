#include "attn/compute_type.h"

namespace attn {

std::string_view compute_type_name(ComputeType type) {
  switch (type) {
    case ComputeType::F32: return "f32";
    case ComputeType::BF16: return "bf16";
  }
  return "?";
}

std::optional<ComputeType> parse_compute_type(std::string_view name) {
  for (ComputeType type : {ComputeType::F32, ComputeType::BF16}) {
    if (compute_type_name(type) == name) return type;
  }
  return std::nullopt;
}

}  // namespace attn
