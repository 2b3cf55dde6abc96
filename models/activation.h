// The GELU a config's activation name ("hidden_act", "activation_function") means.
#pragma once

#include <string>

#include "engine/ops/gelu.h"
#include "models/config_reader.h"

namespace attn {

inline GeluKind gelu_kind(const ConfigReader& config, const std::string& name) {
  if (name == "gelu") return GeluKind::Erf;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast") return GeluKind::Tanh;
  config.fail("activation '" + name + "' is not supported; supported: gelu, gelu_new, gelu_pytorch_tanh");
}

}  // namespace attn
