// JSON helpers the record tasks share (see attn/records.h).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "attn/records.h"

namespace attn::records {

using Json = nlohmann::ordered_json;

// Dumps one line without throwing on invalid UTF-8 (an error message may quote the input).
inline std::string json_line(const Json& json) {
  return json.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

// A record's output object, starting from its pass-through fields.
inline Json output_of(const TextRecord& record) { return Json::parse(record.fields); }

}  // namespace attn::records
