// The engine dtype that stores each public WeightType.
#pragma once

#include "attn/model.h"
#include "engine/tensor.h"

namespace attn {

DType to_dtype(WeightType type);

}  // namespace attn
