#include "tokenizer/hf_pattern.h"

#include "attn/error.h"

namespace attn::hf {
namespace {

using Ranges = std::vector<std::pair<size_t, size_t>>;

Ranges find_literal(std::string_view text, std::string_view literal) {
  Ranges matches;
  if (literal.empty()) return matches;
  for (size_t at = text.find(literal); at != std::string_view::npos; at = text.find(literal, at + literal.size())) {
    matches.emplace_back(at, at + literal.size());
  }
  return matches;
}

std::string replace_ranges(std::string_view text, const Ranges& ranges, std::string_view content) {
  std::string out;
  size_t done = 0;
  for (const auto& [start, end] : ranges) {
    out.append(text.substr(done, start - done));
    out.append(content);
    done = end;
  }
  out.append(text.substr(done));
  return out;
}

}  // namespace

Pattern::Pattern(const Json& spec) {
  if (has(spec, "Regex")) {
    regex_ = std::make_unique<Regex>(spec.at("Regex").get<std::string>());
  } else if (has(spec, "String")) {
    literal_ = spec.at("String").get<std::string>();
  } else {
    throw Error("pattern must be {\"String\": ...} or {\"Regex\": ...}, got " + spec.dump());
  }
}

Ranges Pattern::find_all(std::string_view text) const {
  return regex_ ? regex_->find_all(text) : find_literal(text, literal_);
}

std::string replace_all(std::string_view text, const Pattern& pattern, std::string_view content) {
  return replace_ranges(text, pattern.find_all(text), content);
}

std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
  return replace_ranges(text, find_literal(text, from), to);
}

}  // namespace attn::hf
