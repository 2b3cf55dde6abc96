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

InputRecord parse_record(const std::string& line, InputFormat format, bool pairs) {
  InputRecord record;
  if (format == InputFormat::Text) {
    const size_t tab = pairs ? line.find('\t') : std::string::npos;
    record.text = line.substr(0, tab);
    if (tab != std::string::npos) record.pair = line.substr(tab + 1);
    return record;
  }
  nlohmann::ordered_json json = nlohmann::ordered_json::parse(line, nullptr, false);
  if (!has_text(json)) {
    record.error = "not a JSON object with a \"text\" string (the input is JSON lines, from its first line)";
  } else {
    record.text = json["text"].get<std::string>();
    json.erase("text");
    if (pairs && json.contains("text_pair") && json["text_pair"].is_string()) {
      record.pair = json["text_pair"].get<std::string>();
      json.erase("text_pair");
    }
  }
  if (json.is_object()) record.fields = std::move(json);  // an id still passes through with an error
  return record;
}

}  // namespace attn::cli
