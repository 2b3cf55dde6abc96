#include "tokenizer/hf_split.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "attn/error.h"

namespace attn::hf {
namespace {

struct Span {
  size_t start, end;
  bool is_match;
};

// The whole text as alternating spans: the gaps between matches and the
// matches themselves.
std::vector<Span> to_spans(size_t length, const std::vector<ByteRange>& matches, bool invert) {
  std::vector<Span> spans;
  size_t previous = 0;
  for (const auto& [start, end] : matches) {
    if (previous != start) spans.push_back({previous, start, invert});
    spans.push_back({start, end, !invert});
    previous = end;
  }
  if (previous != length) spans.push_back({previous, length, invert});
  return spans;
}

}  // namespace

SplitBehavior parse_split_behavior(std::string_view name) {
  std::string key;
  for (const char c : name) {
    if (c != '_') key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (key == "removed") return SplitBehavior::Removed;
  if (key == "isolated") return SplitBehavior::Isolated;
  if (key == "mergedwithprevious") return SplitBehavior::MergedWithPrevious;
  if (key == "mergedwithnext") return SplitBehavior::MergedWithNext;
  if (key == "contiguous") return SplitBehavior::Contiguous;
  throw Error("unknown split behavior \"" + std::string(name) +
              "\" (expected Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous)");
}

std::vector<ByteRange> split_ranges(size_t length, const std::vector<ByteRange>& matches, SplitBehavior behavior,
                                    bool invert) {
  const std::vector<Span> spans = to_spans(length, matches, invert);
  std::vector<ByteRange> pieces;
  bool previous_match = false;
  switch (behavior) {
    case SplitBehavior::Removed:
      for (const Span& span : spans) {
        if (!span.is_match) pieces.emplace_back(span.start, span.end);
      }
      break;
    case SplitBehavior::Isolated:
      for (const Span& span : spans) pieces.emplace_back(span.start, span.end);
      break;
    case SplitBehavior::Contiguous:
      for (const Span& span : spans) {
        if (span.is_match == previous_match && !pieces.empty()) {
          pieces.back().second = span.end;
        } else {
          pieces.emplace_back(span.start, span.end);
        }
        previous_match = span.is_match;
      }
      break;
    case SplitBehavior::MergedWithPrevious:
      for (const Span& span : spans) {
        if (span.is_match && !previous_match && !pieces.empty()) {
          pieces.back().second = span.end;
        } else {
          pieces.emplace_back(span.start, span.end);
        }
        previous_match = span.is_match;
      }
      break;
    case SplitBehavior::MergedWithNext:
      for (auto span = spans.rbegin(); span != spans.rend(); ++span) {
        if (span->is_match && !previous_match && !pieces.empty()) {
          pieces.back().first = span->start;
        } else {
          pieces.emplace_back(span->start, span->end);
        }
        previous_match = span->is_match;
      }
      std::reverse(pieces.begin(), pieces.end());
      break;
  }
  std::erase_if(pieces, [](const ByteRange& piece) { return piece.first == piece.second; });
  return pieces;
}

}  // namespace attn::hf
