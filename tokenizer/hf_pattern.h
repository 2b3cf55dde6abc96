// The {"String": ...} / {"Regex": ...} patterns of Replace and Split
// components: where they match in a text.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/hf_json.h"
#include "tokenizer/hf_regex.h"

namespace attn::hf {

class Pattern {
 public:
  explicit Pattern(const Json& spec);

  // Non-overlapping matches, left to right, as byte ranges [start, end).
  // An empty String pattern matches nothing.
  std::vector<std::pair<size_t, size_t>> find_all(std::string_view text) const;

 private:
  std::string literal_;
  std::unique_ptr<Regex> regex_;  // set for {"Regex": ...}
};

// Replaces every match of `pattern` in `text` with `content`.
std::string replace_all(std::string_view text, const Pattern& pattern, std::string_view content);
// Replaces every occurrence of the non-empty `from`, left to right.
std::string replace_all(std::string_view text, std::string_view from, std::string_view to);

}  // namespace attn::hf
