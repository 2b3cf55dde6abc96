// Input records of `attn score`: plain text lines, or JSON lines
// {"text": ..., other fields} whose other fields pass through to the output.
// Sentence pairs (for classifiers): "text<TAB>pair" lines, or JSON lines
// with a "text_pair" string (the field Hugging Face's pipelines use).
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace attn::cli {

enum class InputFormat { Text, JsonLines };

// One input line as the scorer sees it.
struct InputRecord {
  std::string text;
  std::optional<std::string> pair;
  nlohmann::ordered_json fields = nlohmann::ordered_json::object();  // passed through to the output line
  std::string error;  // not empty: the line could not be read as a record
};

// "auto" looks at the input's first line: a JSON object with a "text" string
// makes the whole input JSON lines, anything else plain text.
InputFormat detect_format(const std::string& first_line);

// pairs: read a sentence pair when the line has one.
InputRecord parse_record(const std::string& line, InputFormat format, bool pairs);

}  // namespace attn::cli
