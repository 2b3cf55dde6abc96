#include "score_input.h"

namespace attn::cli {
namespace {

bool has_text(const nlohmann::ordered_json& json) {
  return json.is_object() && json.contains("text") && json["text"].is_string();
}

}  // namespace

InputFormat detect_format(const std::string& first_line) {
  return has_text(nlohmann::ordered_json::parse(first_line, nullptr, false)) ? InputFormat::JsonLines : InputFormat::Text;
}

InputRecord parse_record(const std::string& line, InputFormat format) {
  InputRecord record;
  if (format == InputFormat::Text) {
    record.text = line;
    return record;
  }
  nlohmann::ordered_json json = nlohmann::ordered_json::parse(line, nullptr, false);
  if (!has_text(json)) {
    record.error = "not a JSON object with a \"text\" string (the input is JSON lines, from its first line)";
  } else {
    record.text = json["text"].get<std::string>();
    json.erase("text");
  }
  if (json.is_object()) record.fields = std::move(json);  // an id still passes through with an error
  return record;
}

}  // namespace attn::cli
