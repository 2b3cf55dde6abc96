// JSON (messages, tools, extra variables) to template values. Objects keep
// their key order, as Python's json.loads does.
#pragma once

#include <nlohmann/json.hpp>

#include "chat_template/jinja_value.h"

namespace attn::jinja {

Value from_json(const nlohmann::ordered_json& json);

}  // namespace attn::jinja
